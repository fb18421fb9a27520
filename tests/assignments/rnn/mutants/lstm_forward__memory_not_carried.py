# ruff: noqa
# Mistake: every step starts from a memory of zeros instead of the memory of the step before.
def lstm_forward(x, a0, parameters):
    caches = []
    n_x, m, T_x = x.shape
    n_y, n_a = parameters["Wy"].shape

    a = np.zeros((n_a, m, T_x))
    c = np.zeros((n_a, m, T_x))
    y = np.zeros((n_y, m, T_x))
    a_next = a0
    for t in range(T_x):
        c_zero = np.zeros((n_a, m))
        a_next, c_next, yt, cache = lstm_cell_forward(x[:, :, t], a_next, c_zero, parameters)
        a[:, :, t] = a_next
        c[:, :, t] = c_next
        y[:, :, t] = yt
        caches.append(cache)

    caches = (caches, x)
    return a, y, c, caches
