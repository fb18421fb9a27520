# ruff: noqa
# Mistake: the penalty is lambd / 2 * sum(W^2), without dividing by the number of examples m.
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    W1 = parameters["W1"]
    W2 = parameters["W2"]
    W3 = parameters["W3"]

    cross_entropy_cost = compute_cost(A3, Y)
    L2_regularization_cost = (
        lambd / 2 * (np.sum(np.square(W1)) + np.sum(np.square(W2)) + np.sum(np.square(W3)))
    )

    cost = cross_entropy_cost + L2_regularization_cost
    return cost
