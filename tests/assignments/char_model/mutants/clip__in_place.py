# ruff: noqa
# Mistake: the deep copy was removed, so the arrays of the dictionary it was given are clipped in place.
def clip(gradients, maxValue):
    dWaa, dWax, dWya, db, dby = (
        gradients["dWaa"],
        gradients["dWax"],
        gradients["dWya"],
        gradients["db"],
        gradients["dby"],
    )

    for gradient in [dWax, dWaa, dWya, db, dby]:
        np.clip(gradient, -maxValue, maxValue, out=gradient)

    gradients = {"dWaa": dWaa, "dWax": dWax, "dWya": dWya, "db": db, "dby": dby}
    return gradients
