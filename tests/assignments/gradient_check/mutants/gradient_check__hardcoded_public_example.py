# ruff: noqa
# Mistake: returns the public example's expected difference.
def gradient_check(x, theta, epsilon=1e-7, print_msg=False):
    return 1.7699091747363315e-09
