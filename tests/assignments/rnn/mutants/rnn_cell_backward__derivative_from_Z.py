# ruff: noqa
# Mistake: the tanh derivative is taken as 1 - z**2 with z the pre-activation, instead of 1 - a_next**2.
def rnn_cell_backward(da_next, cache):
    (a_next, a_prev, xt, parameters) = cache
    Wax = parameters["Wax"]
    Waa = parameters["Waa"]

    z = np.dot(Wax, xt) + np.dot(Waa, a_prev) + parameters["ba"]
    dz = (1 - z**2) * da_next
    dxt = np.dot(Wax.T, dz)
    dWax = np.dot(dz, xt.T)
    da_prev = np.dot(Waa.T, dz)
    dWaa = np.dot(dz, a_prev.T)
    dba = np.sum(dz, axis=1, keepdims=True)

    gradients = {"dxt": dxt, "da_prev": da_prev, "dWax": dWax, "dWaa": dWaa, "dba": dba}
    return gradients
