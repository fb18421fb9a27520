# ruff: noqa
# Mistake: sqrt(2 / (n_prev * n_l)) instead of sqrt(2 / (n_prev + n_l)).
def initialize_parameters_glorot(layers_dims):
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        scale = np.sqrt(2 / (layers_dims[l - 1] * layers_dims[l]))
        parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * scale
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters
