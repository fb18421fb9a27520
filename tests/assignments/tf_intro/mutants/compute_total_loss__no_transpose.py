# ruff: noqa
# Mistake: passes (C, m) tensors without transposing: the loss runs over the examples axis.
def compute_total_loss(logits, labels):
    """Computes the total loss: the categorical cross-entropy summed over the examples.

    Arguments:
    logits -- output of forward propagation (before the softmax), shape (C, m)
    labels -- one-hot "true" labels, same shape as logits

    Returns:
    total_loss -- a scalar tensor, the SUM of the m per-example losses
    """
    total_loss = tf.reduce_sum(tf.keras.losses.categorical_crossentropy(labels, logits, from_logits=True))
    return total_loss
