# ruff: noqa
# Mistake: leaves out from_logits=True: the logits are read as probabilities.
def compute_total_loss(logits, labels):
    """Computes the total loss: the categorical cross-entropy summed over the examples.

    Arguments:
    logits -- output of forward propagation (before the softmax), shape (C, m)
    labels -- one-hot "true" labels, same shape as logits

    Returns:
    total_loss -- a scalar tensor, the SUM of the m per-example losses
    """
    total_loss = tf.reduce_sum(
        tf.keras.losses.categorical_crossentropy(tf.transpose(labels), tf.transpose(logits))
    )
    return total_loss
