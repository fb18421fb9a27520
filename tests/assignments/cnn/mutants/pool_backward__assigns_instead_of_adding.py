# ruff: noqa
# Mistake: dA_prev[...] = instead of +=: overlapping windows overwrite each other's gradient.
def pool_backward(dA, cache, mode="max"):
    """
    Backward pass of a pooling layer.

    Arguments:
    dA -- gradient of the cost with respect to the pooling output, numpy array of shape (m, n_H, n_W, n_C)
    cache -- (A_prev, hparameters), output of pool_forward; A_prev has shape (m, n_H_prev, n_W_prev, n_C)
    mode -- "max" or "average"

    Returns:
    dA_prev -- gradient with respect to A_prev, numpy array of shape (m, n_H_prev, n_W_prev, n_C)
    """
    (A_prev, hparameters) = cache
    stride = hparameters["stride"]
    f = hparameters["f"]
    (m, n_H, n_W, n_C) = dA.shape

    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        a_prev = A_prev[i]
        for h in range(n_H):
            vert_start = h * stride
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w * stride
                horiz_end = horiz_start + f
                for c in range(n_C):
                    if mode == "max":
                        a_prev_slice = a_prev[vert_start:vert_end, horiz_start:horiz_end, c]
                        mask = create_mask_from_window(a_prev_slice)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] = mask * dA[i, h, w, c]
                    elif mode == "average":
                        da = dA[i, h, w, c]
                        shape = (f, f)
                        dA_prev[i, vert_start:vert_end, horiz_start:horiz_end, c] = distribute_value(
                            da, shape
                        )

    return dA_prev
