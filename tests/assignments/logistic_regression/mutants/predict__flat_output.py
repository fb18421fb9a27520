# ruff: noqa
# Mistake: returns a flat array of shape (m,) instead of (1, m).
def predict(w, b, X):
    m = X.shape[1]
    Y_prediction = np.zeros((1, m))
    w = w.reshape(X.shape[0], 1)
    A = sigmoid(np.dot(w.T, X) + b)
    Y_prediction = (A[0] > 0.5).astype(float)
    return Y_prediction
