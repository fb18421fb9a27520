# ruff: noqa
# Mistake: the prediction is computed from the previous state a_prev instead of the new state a_next.
def rnn_cell_forward(xt, a_prev, parameters):
    Wax = parameters["Wax"]
    Waa = parameters["Waa"]
    Wya = parameters["Wya"]
    ba = parameters["ba"]
    by = parameters["by"]

    a_next = np.tanh(np.dot(Wax, xt) + np.dot(Waa, a_prev) + ba)
    yt_pred = softmax(np.dot(Wya, a_prev) + by)

    cache = (a_next, a_prev, xt, parameters)
    return a_next, yt_pred, cache
