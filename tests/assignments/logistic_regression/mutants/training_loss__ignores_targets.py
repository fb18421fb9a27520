# ruff: noqa
# Mistake: uses the probability of label 1 for every example, whatever its target.
def training_loss(weights, inputs, targets):
    preds = logistic_predictions(weights, inputs)
    loss = -np.sum(np.log(preds))
    return loss
