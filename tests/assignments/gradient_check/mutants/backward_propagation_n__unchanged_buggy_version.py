# ruff: noqa
# Mistake: the colleague's version is used as it is, without fixing anything.
def backward_propagation_n(X, Y, cache):
    return buggy_backward_propagation_n(X, Y, cache)
