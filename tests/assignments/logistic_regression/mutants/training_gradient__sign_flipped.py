# ruff: noqa
# Mistake: t - s instead of s - t: the gradient of the log-likelihood, not of its negative.
def training_gradient(weights, inputs, targets):
    preds = logistic_predictions(weights, inputs)
    gradient = np.dot(inputs.T, 2 * (targets - preds))
    return gradient
