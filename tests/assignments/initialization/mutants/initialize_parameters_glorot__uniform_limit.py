# ruff: noqa
# Mistake: mixes in Glorot's uniform variant, whose limit is sqrt(6 / (n_prev + n_l)), with randn.
def initialize_parameters_glorot(layers_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        scale = np.sqrt(6 / (layers_dims[l - 1] + layers_dims[l]))
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * scale
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters
