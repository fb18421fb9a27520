# ruff: noqa
# Mistake: predicts 1 when the probability is 0.5 or more (the course predicts 1 only above 0.5).
def predict(w, b, X):
    m = X.shape[1]
    Y_prediction = np.zeros((1, m))
    w = w.reshape(X.shape[0], 1)
    A = sigmoid(np.dot(w.T, X) + b)
    for i in range(A.shape[1]):
        Y_prediction[0, i] = 1.0 if A[0, i] >= 0.5 else 0.0
    return Y_prediction
