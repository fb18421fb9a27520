# ruff: noqa
# Mistake: divides by the number of examples, as for the course's averaged cost.
def training_gradient(weights, inputs, targets):
    preds = logistic_predictions(weights, inputs)
    gradient = np.dot(inputs.T, 2 * (preds - targets)) / inputs.shape[0]
    return gradient
