# ruff: noqa
# Mistake: averages the loss over the examples; the lecture's loss is a sum.
def training_loss(weights, inputs, targets):
    preds = logistic_predictions(weights, inputs)
    label_probabilities = preds * targets + (1 - preds) * (1 - targets)
    loss = -np.mean(np.log(label_probabilities))
    return loss
