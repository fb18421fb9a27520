# ruff: noqa
# Mistake: w is a row (1, dim) instead of a column (dim, 1).
def initialize_with_zeros(dim):
    w = np.zeros((1, dim))
    b = 0.0
    return w, b
