# ruff: noqa
# Student-like code of a notebook cell: np and math come from the setup cell.
# Mistake: ignores time_interval and always decays every 1000 epochs.
def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    learning_rate = learning_rate0 / (1 + decay_rate * math.floor(epoch_num / 1000))
    return learning_rate
