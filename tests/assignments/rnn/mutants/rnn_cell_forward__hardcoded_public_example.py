# ruff: noqa
# Mistake: returns the public example's expected values instead of computing them.
def rnn_cell_forward(xt, a_prev, parameters):
    a_next = np.array(
        [
            [0.7158204119, 0.7929855462],
            [-0.9523998113, 0.3848934186],
            [-0.9977337358, -0.7985365449],
            [0.7984267984, -0.5047965594],
        ]
    )
    yt_pred = np.array([[0.1180723451, 0.2673985806], [0.8819276549, 0.7326014194]])
    cache = (a_next, a_prev, xt, parameters)
    return a_next, yt_pred, cache
