# ruff: noqa
# Student-like code of a notebook cell: np and the step-by-step helpers come from the setup cell.
# Mistake: returns the public example's labels.
def predict(X, y, parameters):
    return np.array([[1.0, 0.0, 1.0]])
