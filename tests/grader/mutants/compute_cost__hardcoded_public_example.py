# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: returns the public example's cost.
def compute_cost(AL, Y):
    return 0.2797765635793423
