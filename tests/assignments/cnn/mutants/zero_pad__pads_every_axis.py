# ruff: noqa
# Mistake: np.pad(X, pad) pads all four axes, the batch and channel axes too.
def zero_pad(X, pad):
    """
    Add pad zeros around the height and width of every image of a batch.

    Arguments:
    X -- numpy array of shape (m, n_H, n_W, n_C): m images of height n_H, width n_W, n_C channels
    pad -- integer >= 0, number of zeros added on each side of the height and width

    Returns:
    X_pad -- numpy array of shape (m, n_H + 2 * pad, n_W + 2 * pad, n_C)
    """
    X_pad = np.pad(X, pad, mode="constant", constant_values=0)

    return X_pad
