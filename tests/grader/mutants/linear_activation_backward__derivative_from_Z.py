# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: treats the cache as the activation A, e.g. sigmoid'(Z) written as Z * (1 - Z).
def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    Z = activation_cache
    if activation == "sigmoid":
        dZ = dA * Z * (1 - Z)
    else:
        dZ = dA * (Z > 0)
    return linear_backward(dZ, linear_cache)
