# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: updates the arrays of the dictionary it was given, in place, and returns that dictionary.
def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
    return parameters
