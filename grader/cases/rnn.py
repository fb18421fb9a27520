"""Hidden checks of the "recurrent neural network, step by step" assignment.

Every function of the notebook gets six randomized cases in named families: a batch of examples,
a single example (m = 1), a single time step (T_x = 1) for the sequence functions, longer
sequences, and cases that isolate one term (zero weights so that only the biases show, zero
output weights so that the prediction is the softmax of the bias, a zero initial state or memory,
an upstream gradient at the last step only so that everything earlier comes through the
recurrence). Sizes n_x, n_a, n_y, m and T_x are drawn per grading seed and kept distinct where a
transposition or a swapped concatenation would otherwise go unnoticed; one family makes n_x equal
to n_a on purpose, so that a concatenation in the wrong order gives wrong values instead of an
error.

Caches handed to the backward functions come from a real reference forward pass, so any correct
formula passes. The backward passes follow the reference: the upstream gradient ``da`` reaches
the hidden states only, and the sequence functions add the gradient that flows back from step
t + 1 (the course's LSTM notebook forgets it; the notebook here asks for it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from reference import rnn
from reference.arraytypes import Array, Params

GATES = ("f", "i", "c", "o")
"""The LSTM's gates: forget, update (input), candidate, output."""


# ---------------------------------------------------------------------------------------------
# Drawing inputs


def _size(rng: np.random.Generator, low: int, high: int, avoid: Sequence[int] = ()) -> int:
    """A size in [low, high], different from every size in ``avoid`` when the range allows it."""
    choices = [n for n in range(low, high + 1) if n not in avoid] or list(range(low, high + 1))
    return int(rng.choice(choices))


def _dims(
    rng: np.random.Generator, *, m: int | None = None, n_a: int | None = None, same_x_a: bool = False
) -> tuple[int, int, int, int]:
    """(n_x, n_a, n_y, m) with n_x, n_a, n_y pairwise different (n_x == n_a when ``same_x_a``)
    and m different from them unless given."""
    n_a = _size(rng, 2, 6) if n_a is None else n_a
    n_x = n_a if same_x_a else _size(rng, 1, 6, avoid=(n_a,))
    n_y = _size(rng, 2, 5, avoid=(n_a, n_x))
    if m is None:
        m = _size(rng, 2, 7, avoid=(n_a, n_x, n_y))
    return n_x, n_a, n_y, m


def _rnn_parameters(
    rng: np.random.Generator,
    n_x: int,
    n_a: int,
    n_y: int,
    *,
    zero: Sequence[str] = (),
    bias_scale: float = 0.5,
) -> Params:
    """Basic-RNN parameters scaled so that tanh stays mostly out of saturation; the keys in
    ``zero`` are set to zeros (isolating the other terms)."""
    parameters: Params = {
        "Wax": rng.standard_normal((n_a, n_x)) / np.sqrt(n_x),
        "Waa": rng.standard_normal((n_a, n_a)) * 0.8 / np.sqrt(n_a),
        "Wya": rng.standard_normal((n_y, n_a)),
        "ba": bias_scale * rng.standard_normal((n_a, 1)),
        "by": 0.5 * rng.standard_normal((n_y, 1)),
    }
    for key in zero:
        parameters[key] = np.zeros_like(parameters[key])
    return parameters


def _lstm_parameters(
    rng: np.random.Generator, n_x: int, n_a: int, n_y: int, *, zero_gate_weights: bool = False
) -> Params:
    """LSTM parameters: each gate's W (n_a, n_a + n_x) and b (n_a, 1), then Wy (n_y, n_a) and by
    (n_y, 1). ``zero_gate_weights`` leaves only the gate biases (each gate is then the same for
    every example)."""
    parameters: Params = {}
    for gate in GATES:
        W: Array = rng.standard_normal((n_a, n_a + n_x)) / np.sqrt(n_a + n_x)
        parameters[f"W{gate}"] = np.zeros_like(W) if zero_gate_weights else W
        parameters[f"b{gate}"] = 0.8 * rng.standard_normal((n_a, 1))
    parameters["Wy"] = rng.standard_normal((n_y, n_a))
    parameters["by"] = 0.5 * rng.standard_normal((n_y, 1))
    return parameters


def _normal(rng: np.random.Generator, *shape: int) -> Array:
    out: Array = rng.standard_normal(shape)
    return out


# ---------------------------------------------------------------------------------------------
# Basic RNN, forward


def rnn_cell_forward_cases(rng: np.random.Generator) -> list[Case]:
    """One step of the basic RNN: batches, one example, one hidden unit, and isolated terms."""
    cases = []
    for family, m, n_a, zero, zero_state in [
        ("batch of examples", None, None, (), False),
        ("single example", 1, None, (), False),
        ("one hidden unit", None, 1, (), False),
        ("zero weights (only the bias ba)", None, None, ("Wax", "Waa"), False),
        ("zero output weights (Wya = 0)", None, None, ("Wya",), False),
        ("zero previous state", None, None, (), True),
    ]:
        n_x, n_a_, n_y, m_ = _dims(rng, m=m, n_a=n_a)
        parameters = _rnn_parameters(rng, n_x, n_a_, n_y, zero=zero)
        a_prev = np.zeros((n_a_, m_)) if zero_state else _normal(rng, n_a_, m_)
        cases.append(Case(family, (_normal(rng, n_x, m_), a_prev, parameters)))
    return cases


def rnn_forward_cases(rng: np.random.Generator) -> list[Case]:
    """The basic RNN over sequences: several steps, T_x = 1, m = 1, longer sequences."""
    cases = []
    for family, m, T_x, zero_state, zero in [
        ("batch, several steps", None, _size(rng, 3, 6), False, ()),
        ("single time step (T_x = 1)", None, 1, False, ()),
        ("single example (m = 1)", 1, _size(rng, 3, 7), False, ()),
        ("longer sequence", _size(rng, 2, 4), _size(rng, 9, 14), False, ()),
        ("zero initial state", None, _size(rng, 2, 5), True, ()),
        ("zero input weights (only the recurrence)", None, _size(rng, 3, 6), False, ("Wax",)),
    ]:
        n_x, n_a, n_y, m_ = _dims(rng, m=m)
        parameters = _rnn_parameters(rng, n_x, n_a, n_y, zero=zero)
        a0 = np.zeros((n_a, m_)) if zero_state else _normal(rng, n_a, m_)
        cases.append(Case(family, (_normal(rng, n_x, m_, T_x), a0, parameters)))
    return cases


# ---------------------------------------------------------------------------------------------
# LSTM, forward


def lstm_cell_forward_cases(rng: np.random.Generator) -> list[Case]:
    """One LSTM step: batches, one example, one hidden unit, n_x = n_a, and isolated terms."""
    cases = []
    for family, m, n_a, same, zero_w, zero_c in [
        ("batch of examples", None, None, False, False, False),
        ("single example", 1, None, False, False, False),
        ("one hidden unit", None, 1, False, False, False),
        ("as many inputs as hidden units", None, None, True, False, False),
        ("zero gate weights (only the biases)", None, None, False, True, False),
        ("zero previous memory", None, None, False, False, True),
    ]:
        n_x, n_a_, n_y, m_ = _dims(rng, m=m, n_a=n_a, same_x_a=same)
        parameters = _lstm_parameters(rng, n_x, n_a_, n_y, zero_gate_weights=zero_w)
        c_prev = np.zeros((n_a_, m_)) if zero_c else _normal(rng, n_a_, m_)
        cases.append(Case(family, (_normal(rng, n_x, m_), _normal(rng, n_a_, m_), c_prev, parameters)))
    return cases


def lstm_forward_cases(rng: np.random.Generator) -> list[Case]:
    """The LSTM over sequences: several steps, T_x = 1, m = 1, longer sequences, n_x = n_a."""
    cases = []
    for family, m, T_x, same, zero_state in [
        ("batch, several steps", None, _size(rng, 3, 6), False, False),
        ("single time step (T_x = 1)", None, 1, False, False),
        ("single example (m = 1)", 1, _size(rng, 3, 7), False, False),
        ("longer sequence", _size(rng, 2, 4), _size(rng, 9, 14), False, False),
        ("as many inputs as hidden units", None, _size(rng, 2, 5), True, False),
        ("zero initial state", None, _size(rng, 2, 5), False, True),
    ]:
        n_x, n_a, n_y, m_ = _dims(rng, m=m, same_x_a=same)
        parameters = _lstm_parameters(rng, n_x, n_a, n_y)
        a0 = np.zeros((n_a, m_)) if zero_state else _normal(rng, n_a, m_)
        cases.append(Case(family, (_normal(rng, n_x, m_, T_x), a0, parameters)))
    return cases


# ---------------------------------------------------------------------------------------------
# Basic RNN, backward


def rnn_cell_backward_cases(rng: np.random.Generator) -> list[Case]:
    """One step backward; the cache comes from a reference forward pass."""
    cases = []
    for family, m, n_a, zero, bias_scale in [
        ("batch of examples", None, None, (), 0.5),
        ("single example", 1, None, (), 0.5),
        ("one hidden unit", None, 1, (), 0.5),
        ("zero recurrent weights (Waa = 0)", None, None, ("Waa",), 0.5),
        ("nearly saturated units", None, None, (), 3.0),
        ("many examples", _size(rng, 15, 30), None, (), 0.5),
    ]:
        n_x, n_a_, n_y, m_ = _dims(rng, m=m, n_a=n_a)
        parameters = _rnn_parameters(rng, n_x, n_a_, n_y, zero=zero, bias_scale=bias_scale)
        _, _, cache = rnn.rnn_cell_forward(_normal(rng, n_x, m_), _normal(rng, n_a_, m_), parameters)
        cases.append(Case(family, (_normal(rng, n_a_, m_), cache)))
    return cases


def rnn_backward_cases(rng: np.random.Generator) -> list[Case]:
    """The whole sequence backward; caches from a reference forward pass."""
    cases = []
    for family, m, T_x, last_only, zero_state in [
        ("batch, several steps", None, _size(rng, 3, 6), False, False),
        ("single time step (T_x = 1)", None, 1, False, False),
        ("single example (m = 1)", 1, _size(rng, 3, 7), False, False),
        ("gradient at the last step only", None, _size(rng, 3, 6), True, False),
        ("longer sequence", _size(rng, 2, 4), _size(rng, 9, 14), False, False),
        ("zero initial state", None, _size(rng, 2, 5), False, True),
    ]:
        n_x, n_a, n_y, m_ = _dims(rng, m=m)
        parameters = _rnn_parameters(rng, n_x, n_a, n_y)
        a0 = np.zeros((n_a, m_)) if zero_state else _normal(rng, n_a, m_)
        _, _, caches = rnn.rnn_forward(_normal(rng, n_x, m_, T_x), a0, parameters)
        da = _normal(rng, n_a, m_, T_x)
        if last_only:
            da[:, :, :-1] = 0.0
        cases.append(Case(family, (da, _plain_caches(caches))))
    return cases


# ---------------------------------------------------------------------------------------------
# LSTM, backward


def lstm_cell_backward_cases(rng: np.random.Generator) -> list[Case]:
    """One LSTM step backward, with each upstream gradient switched off in turn."""
    cases = []
    for family, m, n_a, same, da_on, dc_on in [
        ("batch of examples", None, None, False, True, True),
        ("single example", 1, None, False, True, True),
        ("one hidden unit", None, 1, False, True, True),
        ("as many inputs as hidden units", None, None, True, True, True),
        ("no memory gradient (dc_next = 0)", None, None, False, True, False),
        ("no hidden-state gradient (da_next = 0)", None, None, False, False, True),
    ]:
        n_x, n_a_, n_y, m_ = _dims(rng, m=m, n_a=n_a, same_x_a=same)
        parameters = _lstm_parameters(rng, n_x, n_a_, n_y)
        xt, a_prev, c_prev = _normal(rng, n_x, m_), _normal(rng, n_a_, m_), _normal(rng, n_a_, m_)
        *_, cache = rnn.lstm_cell_forward(xt, a_prev, c_prev, parameters)
        da_next = _normal(rng, n_a_, m_) if da_on else np.zeros((n_a_, m_))
        dc_next = _normal(rng, n_a_, m_) if dc_on else np.zeros((n_a_, m_))
        cases.append(Case(family, (da_next, dc_next, cache)))
    return cases


def lstm_backward_cases(rng: np.random.Generator) -> list[Case]:
    """The whole LSTM sequence backward; caches from a reference forward pass."""
    cases = []
    for family, m, T_x, same, last_only in [
        ("batch, several steps", None, _size(rng, 3, 6), False, False),
        ("single time step (T_x = 1)", None, 1, False, False),
        ("single example (m = 1)", 1, _size(rng, 3, 7), False, False),
        ("gradient at the last step only", None, _size(rng, 3, 6), False, True),
        ("longer sequence", _size(rng, 2, 4), _size(rng, 9, 14), False, False),
        ("as many inputs as hidden units", None, _size(rng, 2, 5), True, False),
    ]:
        n_x, n_a, n_y, m_ = _dims(rng, m=m, same_x_a=same)
        parameters = _lstm_parameters(rng, n_x, n_a, n_y)
        *_, caches = rnn.lstm_forward(_normal(rng, n_x, m_, T_x), _normal(rng, n_a, m_), parameters)
        da = _normal(rng, n_a, m_, T_x)
        if last_only:
            da[:, :, :-1] = 0.0
        cases.append(Case(family, (da, _plain_caches(caches))))
    return cases


def _plain_caches(
    caches: tuple[Sequence[tuple[object, ...]], Array],
) -> tuple[list[tuple[object, ...]], Array]:
    """The caches of a sequence forward pass with every array copied into its own C-ordered
    buffer: the reference's are transposed views of shared buffers, which a student's code may
    not expect (the engine sends plain copies into the sandbox anyway)."""
    steps, x = caches
    copied = [
        tuple(np.array(v, order="C") if isinstance(v, np.ndarray) else v for v in step) for step in steps
    ]
    return copied, np.array(x, order="C")


# ---------------------------------------------------------------------------------------------
# The checks


def checks() -> list[CheckDef]:
    """The hidden checks of the RNN assignment, in the notebook's order."""
    rnn_grads = "gradients dxt, da_prev, dWax, dWaa, dba"
    return [
        CheckDef(
            name="rnn.rnn_cell_forward",
            function="rnn_cell_forward",
            reference=rnn.rnn_cell_forward,
            make_cases=rnn_cell_forward_cases,
            description="one basic RNN step: tanh state, softmax prediction, cache",
            args=("xt", "a_prev", "parameters"),
            output=("a_next", "yt_pred", "cache"),
        ),
        CheckDef(
            name="rnn.rnn_forward",
            function="rnn_forward",
            reference=rnn.rnn_forward,
            make_cases=rnn_forward_cases,
            description="the basic RNN over a sequence: all states, predictions and step caches",
            args=("x", "a0", "parameters"),
            output=("a", "y_pred", "caches"),
        ),
        CheckDef(
            name="rnn.lstm_cell_forward",
            function="lstm_cell_forward",
            reference=rnn.lstm_cell_forward,
            make_cases=lstm_cell_forward_cases,
            description="one LSTM step: gates on [a_prev; xt], memory, state, prediction, cache",
            args=("xt", "a_prev", "c_prev", "parameters"),
            output=("a_next", "c_next", "yt_pred", "cache"),
        ),
        CheckDef(
            name="rnn.lstm_forward",
            function="lstm_forward",
            reference=rnn.lstm_forward,
            make_cases=lstm_forward_cases,
            description="the LSTM over a sequence from a0 and a zero memory",
            args=("x", "a0", "parameters"),
            output=("a", "y", "c", "caches"),
        ),
        CheckDef(
            name="rnn.rnn_cell_backward",
            function="rnn_cell_backward",
            reference=rnn.rnn_cell_backward,
            make_cases=rnn_cell_backward_cases,
            description=f"one basic RNN step backward: {rnn_grads}",
            args=("da_next", "cache"),
            output="gradients",
        ),
        CheckDef(
            name="rnn.rnn_backward",
            function="rnn_backward",
            reference=rnn.rnn_backward,
            make_cases=rnn_backward_cases,
            description="backpropagation through time of the basic RNN: dx, da0, dWax, dWaa, dba",
            args=("da", "caches"),
            output="gradients",
        ),
        CheckDef(
            name="rnn.lstm_cell_backward",
            function="lstm_cell_backward",
            reference=rnn.lstm_cell_backward,
            make_cases=lstm_cell_backward_cases,
            description="one LSTM step backward: dxt, da_prev, dc_prev and every gate's dW, db",
            args=("da_next", "dc_next", "cache"),
            output="gradients",
        ),
        CheckDef(
            name="rnn.lstm_backward",
            function="lstm_backward",
            reference=rnn.lstm_backward,
            make_cases=lstm_backward_cases,
            description="backpropagation through time of the LSTM: dx, da0 and every gate's dW, db",
            args=("da", "caches"),
            output="gradients",
        ),
    ]
