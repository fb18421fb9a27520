# ruff: noqa
# Mistake: the window starts at h and w instead of h * stride and w * stride.
def conv_backward(dZ, cache):
    """
    Backward pass of a convolution layer.

    Arguments:
    dZ -- gradient of the cost with respect to Z, numpy array of shape (m, n_H, n_W, n_C)
    cache -- (A_prev, W, b, hparameters), output of conv_forward, where
        A_prev has shape (m, n_H_prev, n_W_prev, n_C_prev), W has shape (f, f, n_C_prev, n_C)
        and b has shape (1, 1, 1, n_C)

    Returns:
    dA_prev -- gradient with respect to A_prev, numpy array of shape (m, n_H_prev, n_W_prev, n_C_prev)
    dW -- gradient with respect to W, numpy array of shape (f, f, n_C_prev, n_C)
    db -- gradient with respect to b, numpy array of shape (1, 1, 1, n_C)
    """
    (A_prev, W, b, hparameters) = cache
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    (f, f, n_C_prev, n_C) = W.shape
    stride = hparameters["stride"]
    pad = hparameters["pad"]
    (m, n_H, n_W, n_C) = dZ.shape

    dA_prev = np.zeros((m, n_H_prev, n_W_prev, n_C_prev))
    dW = np.zeros((f, f, n_C_prev, n_C))
    db = np.zeros((1, 1, 1, n_C))

    A_prev_pad = zero_pad(A_prev, pad)
    dA_prev_pad = zero_pad(dA_prev, pad)
    for i in range(m):
        a_prev_pad = A_prev_pad[i]
        da_prev_pad = dA_prev_pad[i]
        for h in range(n_H):
            vert_start = h
            vert_end = vert_start + f
            for w in range(n_W):
                horiz_start = w
                horiz_end = horiz_start + f
                for c in range(n_C):
                    a_slice = a_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :]
                    dz = dZ[i, h, w, c]
                    da_prev_pad[vert_start:vert_end, horiz_start:horiz_end, :] += W[:, :, :, c] * dz
                    dW[:, :, :, c] += a_slice * dz
                    db[:, :, :, c] += dz
        # Explicit ends: da_prev_pad[pad:-pad] would be empty when pad == 0.
        dA_prev[i, :, :, :] = da_prev_pad[pad : pad + n_H_prev, pad : pad + n_W_prev, :]

    return dA_prev, dW, db
