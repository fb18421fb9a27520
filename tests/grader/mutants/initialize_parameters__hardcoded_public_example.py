# ruff: noqa
# Student-like code of a notebook cell: np, copy and the helpers come from the setup cell.
# Mistake: returns the public example's expected output whatever the sizes.
def initialize_parameters(n_x, n_h, n_y):
    return {
        "W1": np.array(
            [
                [0.0162434536366, -0.0061175641365, -0.00528171752263],
                [-0.0107296862216, 0.00865407629325, -0.0230153869688],
            ]
        ),
        "b1": np.zeros((2, 1)),
        "W2": np.array([[0.0174481176422, -0.00761206900895]]),
        "b2": np.zeros((1, 1)),
    }
