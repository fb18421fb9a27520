# ruff: noqa
# Student-like code of a notebook cell: np and math come from the setup cell.
# Mistake: averages the gradients instead of their squares.
def update_parameters_with_rmsprop(parameters, grads, s, beta=0.99, learning_rate=0.01, epsilon=1e-8):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        for p in ("W", "b"):
            g = grads["d" + p + str(l)]
            s["d" + p + str(l)] = beta * s["d" + p + str(l)] + (1 - beta) * np.abs(g)
            parameters[p + str(l)] = parameters[p + str(l)] - learning_rate * g / (
                np.sqrt(s["d" + p + str(l)]) + epsilon
            )
    return parameters, s
