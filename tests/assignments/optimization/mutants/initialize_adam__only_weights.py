# ruff: noqa
# Student-like code of a notebook cell: np and math come from the setup cell.
# Mistake: creates entries for the weights only, none for the biases.
def initialize_adam(parameters):
    L = len(parameters) // 2
    v = {}
    s = {}
    for l in range(1, L + 1):
        v["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        s["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
    return v, s
