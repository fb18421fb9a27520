# ruff: noqa
# Mistake: uses the plain sigmoid's derivative s (1 - s), so the factor 2 of the tanh form is missing.
def training_gradient(weights, inputs, targets):
    preds = logistic_predictions(weights, inputs)
    gradient = np.dot(inputs.T, preds - targets)
    return gradient
