# ruff: noqa
# Mistake: b is the integer 0, not the float 0.0.
def initialize_with_zeros(dim):
    w = np.zeros((dim, 1))
    b = 0
    return w, b
