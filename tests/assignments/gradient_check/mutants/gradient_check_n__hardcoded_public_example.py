# ruff: noqa
# Mistake: returns the public example's expected difference.
def gradient_check_n(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    return 0.3159657583195699
