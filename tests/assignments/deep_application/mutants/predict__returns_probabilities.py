# ruff: noqa
# Student-like code of a notebook cell: np and the step-by-step helpers come from the setup cell.
# Mistake: returns the probabilities instead of 0/1 labels.
def predict(X, y, parameters):
    m = X.shape[1]
    probas, caches = L_model_forward(X, parameters)
    print("Accuracy: " + str(np.sum((probas > 0.5) == y) / m))
    return probas
