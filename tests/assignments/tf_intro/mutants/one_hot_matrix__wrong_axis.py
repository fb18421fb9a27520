# ruff: noqa
# Mistake: tf.one_hot without axis=0: the classes end up along the last axis.
def one_hot_matrix(label, C=6):
    """Computes the one-hot encoding of a label, or of a vector of labels.

    Arguments:
    label -- an integer class label, or an integer array of m labels, shape (m,)
    C -- number of classes (the depth of the encoding)

    Returns:
    one_hot -- a float tensor of shape (C,) for a single label, (C, m) for m labels:
               column j is the encoding of label[j] (classes run down the first axis)
    """
    one_hot = tf.one_hot(label, C)
    return one_hot
