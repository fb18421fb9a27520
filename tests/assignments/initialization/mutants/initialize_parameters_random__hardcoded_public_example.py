# ruff: noqa
# Mistake: returns the public example's parameters for [3, 2, 1].
def initialize_parameters_random(layers_dims):
    return {
        "W1": np.array([[17.88628473, 4.36509851, 0.96497468], [-18.63492703, -2.77388203, -3.54758979]]),
        "b1": np.zeros((2, 1)),
        "W2": np.array([[-0.82741481, -6.27000677]]),
        "b2": np.zeros((1, 1)),
    }
