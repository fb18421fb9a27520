# ruff: noqa
# Mistake: J = theta + x instead of theta * x.
def forward_propagation(x, theta):
    J = theta + x
    return J
