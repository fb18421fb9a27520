# ruff: noqa
# Mistake: only dc_prev is carried back; the da_prev of step t + 1 is never added to da[:, :, t].
def lstm_backward(da, caches):
    (caches, x) = caches
    (a1, c1, a0, c0, f1, i1, cc1, o1, x1, parameters) = caches[0]
    n_a, m, T_x = da.shape
    n_x, m = x1.shape

    dx = np.zeros((n_x, m, T_x))
    totals = {}
    for gate in "fico":
        totals["dW" + gate] = np.zeros((n_a, n_a + n_x))
        totals["db" + gate] = np.zeros((n_a, 1))
    dc_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        step = lstm_cell_backward(da[:, :, t], dc_prevt, caches[t])
        dx[:, :, t] = step["dxt"]
        da_prevt = step["da_prev"]
        dc_prevt = step["dc_prev"]
        for key in totals:
            totals[key] += step[key]
    da0 = da_prevt

    gradients = {"dx": dx, "da0": da0}
    gradients.update(totals)
    return gradients
