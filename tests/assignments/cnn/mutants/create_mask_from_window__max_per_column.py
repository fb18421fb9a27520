# ruff: noqa
# Mistake: np.max(x, axis=0) compares each entry with the maximum of its column, not of the window.
def create_mask_from_window(x):
    """
    Mark where the maximum of a window is.

    Arguments:
    x -- numpy array of shape (f, f)

    Returns:
    mask -- boolean array of the same shape as x: True at every entry equal to the maximum of x
    """
    mask = x == np.max(x, axis=0)

    return mask
