# ruff: noqa
# Student-like code of a notebook cell: np and math come from the setup cell.
# Mistake: loops over range(1, L): the last layer has no entries.
def initialize_rmsprop(parameters):
    L = len(parameters) // 2
    s = {}
    for l in range(1, L):
        s["dW" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        s["db" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
    return s
