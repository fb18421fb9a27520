# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: returns the public example's Z.
def linear_forward(A, W, b):
    Z = np.array([[0.2, -1.3]])
    cache = (A, W, b)
    return Z, cache
