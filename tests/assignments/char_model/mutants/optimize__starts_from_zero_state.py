# ruff: noqa
# Mistake: the forward pass starts from a state of zeros instead of a_prev.
def optimize(X, Y, a_prev, parameters, learning_rate=0.01):
    n_a = parameters["Waa"].shape[0]
    loss, cache = rnn_forward(X, Y, np.zeros((n_a, 1)), parameters)
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    parameters = update_parameters(parameters, gradients, learning_rate)

    return loss, gradients, a[len(X) - 1]
