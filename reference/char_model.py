"""Character-level language model: the course's "Dinosaurus Island" assignment.

A basic RNN reads a name one character at a time and predicts the next one. Characters are
indices into a vocabulary of ``vocab_size`` symbols (27 in the course: ``'\\n'`` then ``a``-``z``),
fed as one-hot columns. Shapes, with a single example (m = 1) as in the course:

- ``Wax (n_a, vocab_size)``, ``Waa (n_a, n_a)``, ``Wya (vocab_size, n_a)``, ``b (n_a, 1)``,
  ``by (vocab_size, 1)``; hidden states ``a (n_a, 1)``.
- A training example is ``X`` (a list of indices whose first entry is ``None``: a zero input
  vector at the first step) and ``Y = X[1:] + [index of '\\n']``, the next character at each step.

The course's helpers mutate their arguments (``rnn_step_backward`` accumulates into the gradient
dictionary, ``update_parameters`` and therefore ``optimize`` update the parameters in place).
Here no function mutates its inputs; each returns new dictionaries instead. ``optimize`` keeps
the course's return value, so use ``optimize_step`` to get the updated parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from reference.activations import softmax
from reference.arraytypes import Array, Params

CharCache = tuple[dict[int, Array], dict[int, Array], dict[int, Array]]
"""``(y_hat, a, x)`` of rnn_forward: dictionaries keyed by time step; ``a[-1]`` is a0."""

GRADIENT_KEYS = ("dWax", "dWaa", "dWya", "db", "dby")


def smooth(loss: float, cur_loss: float) -> float:
    """Exponential moving average of the loss: 0.999 * loss + 0.001 * cur_loss."""
    return loss * 0.999 + cur_loss * 0.001


def get_initial_loss(vocab_size: int, seq_length: int) -> float:
    """The loss of a uniform prediction over seq_length characters: seq_length * log(vocab_size)."""
    return float(-np.log(1.0 / vocab_size) * seq_length)


def initialize_parameters(n_a: int, n_x: int, n_y: int) -> Params:
    """Small random weights and zero biases: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a),
    b (n_a, 1), by (n_y, 1).

    Seeds numpy's global generator with 1 (as the course does), then draws Wax, Waa, Wya in that
    order from randn * 0.01.
    """
    np.random.seed(1)
    Wax = np.random.randn(n_a, n_x) * 0.01
    Waa = np.random.randn(n_a, n_a) * 0.01
    Wya = np.random.randn(n_y, n_a) * 0.01
    return {"Wax": Wax, "Waa": Waa, "Wya": Wya, "b": np.zeros((n_a, 1)), "by": np.zeros((n_y, 1))}


def rnn_step_forward(parameters: Params, a_prev: Array, x: Array) -> tuple[Array, Array]:
    """One step: a_next = tanh(Wax x + Waa a_prev + b), p_t = softmax(Wya a_next + by).

    a_prev: (n_a, 1); x: (vocab_size, 1) one-hot (or zeros). Returns a_next (n_a, 1) and the
    probabilities of the next character p_t (vocab_size, 1).
    """
    a_next: Array = np.tanh(parameters["Wax"] @ x + parameters["Waa"] @ a_prev + parameters["b"])
    p_t, _ = softmax(parameters["Wya"] @ a_next + parameters["by"])
    return a_next, p_t


def rnn_step_backward(
    dy: Array, gradients: Mapping[str, Array], parameters: Params, x: Array, a: Array, a_prev: Array
) -> dict[str, Array]:
    """Adds one step's contribution to the gradients and returns them as a new dictionary.

    dy: (vocab_size, 1) = dL/dz_y, the gradient of this step's loss with respect to the logits
    Wya a + by; gradients: the running sums dWax, dWaa, dWya, db, dby and ``da_next``, the
    gradient with respect to a (this step's hidden state) arriving from the next step.
    x: this step's input; a, a_prev: this step's and the previous hidden state.
    In the result, ``da_next`` is the gradient with respect to a_prev, ready for the step before.
    """
    da = parameters["Wya"].T @ dy + gradients["da_next"]
    # tanh' = 1 - a^2, with a the tanh output.
    daraw = (1.0 - a * a) * da
    return {
        "dWax": gradients["dWax"] + daraw @ x.T,
        "dWaa": gradients["dWaa"] + daraw @ a_prev.T,
        "dWya": gradients["dWya"] + dy @ a.T,
        "db": gradients["db"] + daraw,
        "dby": gradients["dby"] + dy,
        "da_next": parameters["Waa"].T @ daraw,
    }


def rnn_forward(
    X: Sequence[int | None], Y: Sequence[int], a0: Array, parameters: Params, vocab_size: int = 27
) -> tuple[float, CharCache]:
    """Runs the RNN over one example and returns the loss and the cache (y_hat, a, x).

    X: input indices (None: a zero input vector); Y: target indices, len(Y) == len(X);
    a0: (n_a, 1). The loss is -sum_t log y_hat<t>[Y[t]], the summed cross-entropy.
    """
    x: dict[int, Array] = {}
    a: dict[int, Array] = {-1: np.copy(a0)}
    y_hat: dict[int, Array] = {}
    loss = 0.0
    for t in range(len(X)):
        x[t] = np.zeros((vocab_size, 1))
        if X[t] is not None:
            x[t][X[t]] = 1.0
        a[t], y_hat[t] = rnn_step_forward(parameters, a[t - 1], x[t])
        loss -= float(np.log(y_hat[t][Y[t], 0]))
    return loss, (y_hat, a, x)


def rnn_backward(
    X: Sequence[int | None], Y: Sequence[int], parameters: Params, cache: CharCache
) -> tuple[dict[str, Array], dict[int, Array]]:
    """Gradients of rnn_forward's loss with respect to the parameters, and the hidden states.

    Returns (gradients, a): gradients holds dWax, dWaa, dWya, db, dby (shapes of the
    parameters) and ``da_next``, the gradient with respect to a0 (n_a, 1); a is the cache's
    dictionary of hidden states.
    """
    y_hat, a, x = cache
    gradients: dict[str, Array] = {
        "dWax": np.zeros_like(parameters["Wax"]),
        "dWaa": np.zeros_like(parameters["Waa"]),
        "dWya": np.zeros_like(parameters["Wya"]),
        "db": np.zeros_like(parameters["b"]),
        "dby": np.zeros_like(parameters["by"]),
        "da_next": np.zeros_like(a[0]),
    }
    for t in reversed(range(len(X))):
        # Softmax followed by cross-entropy: the gradient on the logits is y_hat - one_hot(Y[t]).
        dy = np.copy(y_hat[t])
        dy[Y[t]] -= 1.0
        gradients = rnn_step_backward(dy, gradients, parameters, x[t], a[t], a[t - 1])
    return gradients, a


def update_parameters(parameters: Params, gradients: Mapping[str, Array], lr: float) -> Params:
    """One gradient-descent step; returns new parameters (W - lr * dW for each of the five)."""
    return {name: parameters[name] - lr * gradients["d" + name] for name in ("Wax", "Waa", "Wya", "b", "by")}


def clip(gradients: Mapping[str, Array], maxValue: float) -> dict[str, Array]:
    """Clips dWaa, dWax, dWya, db, dby elementwise to [-maxValue, maxValue].

    Returns a new dictionary with exactly those five keys (as the course does; ``da_next`` is
    dropped); the input arrays are left unchanged.
    """
    return {
        key: np.clip(gradients[key], -maxValue, maxValue) for key in ("dWaa", "dWax", "dWya", "db", "dby")
    }


def sample(parameters: Params, char_to_ix: Mapping[str, int], seed: int) -> list[int]:
    """Samples a sequence of character indices from the model, starting from a zero input.

    Stops after drawing the index of ``'\\n'``, or after 50 characters, in which case the index
    of ``'\\n'`` is appended (so the list always ends with it, and has at most 51 entries).

    RNG coupling, kept from the course so that results match it: before drawing character k
    (k = 0, 1, ...) this seeds numpy's global generator with ``seed + 2 * k`` (the course writes
    ``np.random.seed(counter + seed)`` and then increments both ``seed`` and ``counter``), and draws
    with ``np.random.choice``. The result depends only on the parameters and ``seed``; the global
    generator's state is changed.
    """
    Waa, Wax, Wya, by, b = (parameters[k] for k in ("Waa", "Wax", "Wya", "by", "b"))
    vocab_size = by.shape[0]
    n_a = Waa.shape[1]
    x = np.zeros((vocab_size, 1))
    a_prev = np.zeros((n_a, 1))
    newline_character = char_to_ix["\n"]
    indices: list[int] = []
    idx = -1
    counter = 0
    while idx != newline_character and counter != 50:
        a = np.tanh(Wax @ x + Waa @ a_prev + b)
        y, _ = softmax(Wya @ a + by)
        np.random.seed(counter + seed)
        idx = int(np.random.choice(list(range(vocab_size)), p=y.ravel()))
        indices.append(idx)
        x = np.zeros((vocab_size, 1))
        x[idx] = 1.0
        a_prev = a
        seed += 1
        counter += 1
    if counter == 50:
        indices.append(newline_character)
    return indices


def get_sample(sample_ix: Sequence[int], ix_to_char: Mapping[int, str]) -> str:
    """The sampled characters as a string with its first letter capitalised (course helper)."""
    txt = "".join(ix_to_char[ix] for ix in sample_ix)
    return txt[0].upper() + txt[1:]


def optimize_step(
    X: Sequence[int | None], Y: Sequence[int], a_prev: Array, parameters: Params, learning_rate: float = 0.01
) -> tuple[float, dict[str, Array], Array, Params]:
    """One training step on one example: forward, backward, clip at 5, gradient descent.

    a_prev: (n_a, 1), the hidden state to start from. Returns (loss, clipped gradients,
    the last hidden state a<len(X)-1> (n_a, 1), the updated parameters).
    """
    loss, cache = rnn_forward(X, Y, a_prev, parameters, vocab_size=parameters["by"].shape[0])
    gradients, a = rnn_backward(X, Y, parameters, cache)
    gradients = clip(gradients, 5)
    new_parameters = update_parameters(parameters, gradients, learning_rate)
    return loss, gradients, a[len(X) - 1], new_parameters


def optimize(
    X: Sequence[int | None], Y: Sequence[int], a_prev: Array, parameters: Params, learning_rate: float = 0.01
) -> tuple[float, dict[str, Array], Array]:
    """The course's optimize: (loss, clipped gradients, last hidden state (n_a, 1)).

    The course also updates ``parameters`` in place; this function does not mutate them, so the
    update is lost here: call ``optimize_step`` to receive the new parameters.
    """
    loss, gradients, a_last, _ = optimize_step(X, Y, a_prev, parameters, learning_rate)
    return loss, gradients, a_last


def model(
    data_x: Sequence[str],
    ix_to_char: Mapping[int, str],
    char_to_ix: Mapping[str, int],
    num_iterations: int = 35000,
    n_a: int = 50,
    dino_names: int = 7,
    vocab_size: int = 27,
    verbose: bool = False,
) -> Params:
    """Trains the character model on a list of names (one example per iteration) and returns
    the trained parameters.

    The examples are the stripped names, shuffled once after ``np.random.seed(0)``; iteration j
    trains on example j mod len(examples) and carries the hidden state over to the next one.
    When verbose, every 2000 iterations prints the smoothed loss and ``dino_names`` sampled names
    (seeds 0, 1, ...), as the course always does. Uses numpy's global generator.
    """
    parameters = initialize_parameters(n_a, vocab_size, vocab_size)
    loss = get_initial_loss(vocab_size, dino_names)
    examples = [name.strip() for name in data_x]
    np.random.seed(0)
    np.random.shuffle(examples)
    a_prev = np.zeros((n_a, 1))
    newline = char_to_ix["\n"]
    for j in range(num_iterations):
        single_example = examples[j % len(examples)]
        X: list[int | None] = [None, *(char_to_ix[ch] for ch in single_example)]
        Y = [ix for ix in X[1:] if ix is not None] + [newline]
        curr_loss, _, a_prev, parameters = optimize_step(X, Y, a_prev, parameters, learning_rate=0.01)
        loss = smooth(loss, curr_loss)
        if verbose and j % 2000 == 0:
            print(f"Iteration: {j}, Loss: {loss:f}\n")
            for seed in range(dino_names):
                print(get_sample(sample(parameters, char_to_ix, seed), ix_to_char).replace("\n", ""))
            print("\n")
    return parameters
