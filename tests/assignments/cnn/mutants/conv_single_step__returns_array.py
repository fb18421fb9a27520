# ruff: noqa
# Mistake: adds b as an array, so Z is a (1, 1, 1) array instead of a single number.
def conv_single_step(a_slice_prev, W, b):
    """
    Apply one filter to one window of the previous layer's output.

    Arguments:
    a_slice_prev -- window of the input, numpy array of shape (f, f, n_C_prev)
    W -- weights of one filter, numpy array of shape (f, f, n_C_prev)
    b -- bias of that filter, numpy array of shape (1, 1, 1)

    Returns:
    Z -- a single number (a Python float or a numpy scalar), not an array
    """
    s = a_slice_prev * W
    Z = np.sum(s)
    Z = Z + b

    return Z
