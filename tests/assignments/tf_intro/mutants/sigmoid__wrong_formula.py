# ruff: noqa
# Mistake: writes the sigmoid as 1 / (1 + exp(z)), with the sign of z lost.
def sigmoid(z):
    """Computes the sigmoid of z.

    Arguments:
    z -- a number, or an array/tensor of any shape

    Returns:
    a -- a float32 tensor of the same shape as z, 1 / (1 + exp(-z))
    """
    z = tf.cast(z, tf.float32)
    a = 1 / (1 + tf.exp(z))
    return a
