# ruff: noqa
# Student-like code of a notebook cell: np and the step-by-step helpers come from the setup cell.
# Mistake: predicts 1 where the probability is BELOW 0.5.
def predict(X, y, parameters):
    m = X.shape[1]
    p = np.zeros((1, m))
    probas, caches = L_model_forward(X, parameters)
    p[probas < 0.5] = 1
    print("Accuracy: " + str(np.sum(p == y) / m))
    return p
