# ruff: noqa
# Student-like code of a notebook cell: np and math come from the setup cell.
# Mistake: divides epoch_num by time_interval without rounding down.
def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    learning_rate = learning_rate0 / (1 + decay_rate * (epoch_num / time_interval))
    return learning_rate
