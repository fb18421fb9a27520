# ruff: noqa
# Mistake: leaves out the BatchNormalization layer.
def happyModel():
    """Builds the binary classifier ZEROPAD2D -> CONV2D -> BATCHNORM -> RELU -> MAXPOOL -> FLATTEN -> DENSE.

    Input: images of shape (64, 64, 3).

    Returns:
    model -- a tf.keras.Sequential model (not compiled)
    """
    model = tf.keras.Sequential(
        [
            tf.keras.Input(shape=(64, 64, 3)),
            tfl.ZeroPadding2D(padding=3),
            tfl.Conv2D(32, (7, 7), strides=(1, 1)),
            tfl.ReLU(),
            tfl.MaxPool2D(),
            tfl.Flatten(),
            tfl.Dense(1, activation="sigmoid"),
        ]
    )
    return model
