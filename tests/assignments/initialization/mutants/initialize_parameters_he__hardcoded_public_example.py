# ruff: noqa
# Mistake: returns the public example's parameters for [3, 1, 2].
def initialize_parameters_he(layers_dims):
    return {
        "W1": np.array([[1.46040903, 0.3564088, 0.07878985]]),
        "b1": np.zeros((1, 1)),
        "W2": np.array([[-2.63537665], [-0.39228616]]),
        "b2": np.zeros((2, 1)),
    }
