# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: m comes from a global variable left over from experiments, not from the cache.
A = np.random.randn(4, 3)  # scratch work left in the cell


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
