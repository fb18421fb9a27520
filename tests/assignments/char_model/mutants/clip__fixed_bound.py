# ruff: noqa
# Mistake: clips to a fixed bound of 10 instead of maxValue.
def clip(gradients, maxValue):
    gradients = copy.deepcopy(gradients)
    dWaa, dWax, dWya, db, dby = (
        gradients["dWaa"],
        gradients["dWax"],
        gradients["dWya"],
        gradients["db"],
        gradients["dby"],
    )

    for gradient in [dWax, dWaa, dWya, db, dby]:
        np.clip(gradient, -10, 10, out=gradient)

    gradients = {"dWaa": dWaa, "dWax": dWax, "dWya": dWya, "db": db, "dby": dby}
    return gradients
