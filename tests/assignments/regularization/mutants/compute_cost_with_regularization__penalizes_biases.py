# ruff: noqa
# Mistake: every parameter is penalized, the biases included.
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    m = Y.shape[1]
    cross_entropy_cost = compute_cost(A3, Y)
    L2_regularization_cost = 0
    for key in parameters:
        L2_regularization_cost += lambd / (2 * m) * np.sum(np.square(parameters[key]))
    cost = cross_entropy_cost + L2_regularization_cost
    return cost
