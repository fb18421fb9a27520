# ruff: noqa
# Mistake: returns the public example's expected cost.
def compute_cost_with_regularization(A3, Y, parameters, lambd):
    return 0.4757424356962309
