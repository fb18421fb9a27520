# ruff: noqa
# Mistake: w is a flat vector of shape (dim,), not a column (dim, 1).
def initialize_with_zeros(dim):
    w = np.zeros(dim)
    b = 0.0
    return w, b
