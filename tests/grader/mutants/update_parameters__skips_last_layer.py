# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: off-by-one loop bound, the last layer is not updated.
def update_parameters(parameters, grads, learning_rate):
    new_parameters = copy.deepcopy(parameters)
    L = len(parameters) // 2
    for l in range(1, L):
        new_parameters["W" + str(l)] = parameters["W" + str(l)] - learning_rate * grads["dW" + str(l)]
        new_parameters["b" + str(l)] = parameters["b" + str(l)] - learning_rate * grads["db" + str(l)]
    return new_parameters
