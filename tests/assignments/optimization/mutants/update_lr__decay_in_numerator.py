# ruff: noqa
# Student-like code of a notebook cell: np and math come from the setup cell.
# Mistake: multiplies by (1 + decay_rate * epoch_num) instead of dividing.
def update_lr(learning_rate0, epoch_num, decay_rate):
    learning_rate = learning_rate0 * (1 + decay_rate * epoch_num)
    return learning_rate
