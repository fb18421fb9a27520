# ruff: noqa
# Mistake: divides dz by n_H only instead of by the number of entries n_H * n_W.
def distribute_value(dz, shape):
    """
    Spread one gradient evenly over a window.

    Arguments:
    dz -- a single number, the gradient of one output of an average-pooling layer
    shape -- (n_H, n_W), the shape of the window

    Returns:
    a -- numpy array of shape (n_H, n_W) whose entries all equal dz / (n_H * n_W)
    """
    (n_H, n_W) = shape
    average = dz / n_H
    a = np.ones(shape) * average

    return a
