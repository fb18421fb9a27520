# ruff: noqa
# Student-like code of a notebook cell: np and math come from the setup cell.
# Mistake: names the velocities after the parameters (W1, b1) instead of dW1, db1.
def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v["W" + str(l)] = np.zeros(parameters["W" + str(l)].shape)
        v["b" + str(l)] = np.zeros(parameters["b" + str(l)].shape)
    return v
