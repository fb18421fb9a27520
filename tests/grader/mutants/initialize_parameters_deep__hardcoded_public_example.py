# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: builds the public example's network [5, 4, 3] whatever layer_dims says.
def initialize_parameters_deep(layer_dims):
    np.random.seed(3)
    parameters = {}
    dims = [5, 4, 3]
    for l in range(1, len(dims)):
        parameters["W" + str(l)] = np.random.randn(dims[l], dims[l - 1]) * 0.01
        parameters["b" + str(l)] = np.zeros((dims[l], 1))
    return parameters
