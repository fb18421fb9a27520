# ruff: noqa
# Mistake: squares the weights with a matrix product (np.dot(W, W.T)) summed, instead of elementwise.
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    W1 = parameters["W1"]
    W2 = parameters["W2"]
    W3 = parameters["W3"]

    cross_entropy_cost = compute_cost(A3, Y)
    L2_regularization_cost = (
        lambd / (2 * m) * (np.sum(np.dot(W1, W1.T)) + np.sum(np.dot(W2, W2.T)) + np.sum(np.dot(W3, W3.T)))
    )

    cost = cross_entropy_cost + L2_regularization_cost
    return cost
