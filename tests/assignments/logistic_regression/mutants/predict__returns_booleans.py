# ruff: noqa
# Mistake: returns the comparison itself, a boolean array, instead of 0.0 / 1.0 floats.
def predict(w, b, X):
    m = X.shape[1]
    Y_prediction = np.zeros((1, m))
    w = w.reshape(X.shape[0], 1)
    A = sigmoid(np.dot(w.T, X) + b)
    Y_prediction = A > 0.5
    return Y_prediction
