# ruff: noqa
# Mistake: exp(z) instead of exp(-z), which computes sigmoid(-z).
def sigmoid(z):
    s = 1 / (1 + np.exp(z))
    return s
