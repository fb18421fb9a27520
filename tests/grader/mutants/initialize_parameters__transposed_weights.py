# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: draws W as (n_x, n_h) and transposes it: right shapes, wrong arrangement of the draws.
def initialize_parameters(n_x, n_h, n_y):
    np.random.seed(1)
    W1 = np.random.randn(n_x, n_h).T * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_h, n_y).T * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
