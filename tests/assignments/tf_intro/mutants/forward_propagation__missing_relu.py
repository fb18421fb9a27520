# ruff: noqa
# Mistake: forgets the ReLU after the second linear unit.
def forward_propagation(X, parameters):
    """Forward pass LINEAR -> RELU -> LINEAR -> RELU -> LINEAR.

    Arguments:
    X -- input data, shape (n_x, m), one example per column
    parameters -- dictionary with W1 (n1, n_x), b1 (n1, 1), W2 (n2, n1), b2 (n2, 1),
                  W3 (n_y, n2), b3 (n_y, 1)

    Returns:
    Z3 -- the logits of the last LINEAR unit, shape (n_y, m)
    """
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    W3 = parameters["W3"]
    b3 = parameters["b3"]
    Z1 = tf.math.add(tf.linalg.matmul(W1, X), b1)
    A1 = tf.keras.activations.relu(Z1)
    Z2 = tf.math.add(tf.linalg.matmul(W2, A1), b2)
    A2 = Z2
    Z3 = tf.math.add(tf.linalg.matmul(W3, A2), b3)
    return Z3
