# ruff: noqa
# Mistake: the derivative with respect to theta is taken to be theta.
def backward_propagation(x, theta):
    dtheta = theta
    return dtheta
