# ruff: noqa
# Student-like code of a notebook cell: np and math come from the setup cell.
# Mistake: returns the public example's value.
def update_lr(learning_rate0, epoch_num, decay_rate):
    return 0.16666666666666666
