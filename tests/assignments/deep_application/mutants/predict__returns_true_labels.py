# ruff: noqa
# Student-like code of a notebook cell: np and the step-by-step helpers come from the setup cell.
# Mistake: returns the true labels y instead of the network's predictions.
def predict(X, y, parameters):
    m = X.shape[1]
    p = np.array(y, dtype=float).reshape(1, m)
    return p
