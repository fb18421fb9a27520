# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: forgets the (1 - Y) log(1 - AL) term.
def compute_cost(AL, Y):
    m = Y.shape[1]
    cost = -np.sum(Y * np.log(AL)) / m
    return np.squeeze(cost)
