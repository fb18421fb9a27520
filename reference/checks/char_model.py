"""Checks of reference.char_model, the character-level language model (Dinosaurus Island).

The oracle computes the same recurrence in torch float64 and compares the loss with
``F.cross_entropy(logits, targets, reduction="sum")`` (the course sums the per-character
cross-entropy, it does not average) and the gradients with autograd's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from reference import char_model as cm
from reference.arraytypes import Array, Params
from reference.checks.numeric import numerical_gradient, relative_error
from reference.checks.registry import Check

Forward = Callable[..., tuple[float, Any]]
Backward = Callable[..., tuple[dict[str, Array], Any]]
Clip = Callable[[Mapping[str, Array], float], Mapping[str, Array]]
Sample = Callable[[Params, Mapping[str, int], int], Sequence[int]]
Optimize = Callable[..., tuple[Any, ...]]

# (vocab_size, n_a, sequence length): tiny, the course's vocabulary, and a longer name.
SIZES = ((5, 3, 1), (27, 6, 7), (9, 4, 12))
CHARS = "\nabcdefghijklmnopqrstuvwxyz"
CHAR_TO_IX = {ch: i for i, ch in enumerate(CHARS)}
IX_TO_CHAR = dict(enumerate(CHARS))


def random_parameters(rng: np.random.Generator, vocab_size: int, n_a: int, scale: float = 0.5) -> Params:
    """Random character-model parameters (non-zero biases, so that their gradients are tested)."""
    return {
        "Wax": rng.standard_normal((n_a, vocab_size)) * scale,
        "Waa": rng.standard_normal((n_a, n_a)) * scale,
        "Wya": rng.standard_normal((vocab_size, n_a)) * scale,
        "b": rng.standard_normal((n_a, 1)) * scale,
        "by": rng.standard_normal((vocab_size, 1)) * scale,
    }


def random_example(
    rng: np.random.Generator, vocab_size: int, length: int
) -> tuple[list[int | None], list[int]]:
    """X = [None, c1, ..., c_{length-1}] and Y = [c1, ..., c_{length-1}, 0] as in the course."""
    chars = [int(i) for i in rng.integers(1, vocab_size, size=length - 1)]
    X: list[int | None] = [None, *chars]
    return X, [*chars, 0]


def check_char_rnn_backward(
    forward: Forward = cm.rnn_forward, backward: Backward = cm.rnn_backward, seed: int = 0
) -> float:
    """char_model.rnn_backward against centered differences of rnn_forward's loss.

    Covers the five parameter gradients and ``da_next``, the gradient with respect to a0.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for vocab_size, n_a, length in SIZES:
        p = random_parameters(rng, vocab_size, n_a)
        X, Y = random_example(rng, vocab_size, length)
        a0 = rng.standard_normal((n_a, 1))
        _, cache = forward(X, Y, a0, p, vocab_size)
        grads, _ = backward(X, Y, p, cache)

        def loss() -> float:
            return float(forward(X, Y, a0, p, vocab_size)[0])

        for name in ("Wax", "Waa", "Wya", "b", "by"):
            worst = max(worst, relative_error(grads["d" + name], numerical_gradient(loss, p[name])))
        worst = max(worst, relative_error(grads["da_next"], numerical_gradient(loss, a0)))
    return worst


def check_char_loss_torch(
    forward: Forward = cm.rnn_forward, backward: Backward = cm.rnn_backward, seed: int = 1
) -> float:
    """Loss against F.cross_entropy(reduction='sum') and gradients against autograd, float64."""
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for vocab_size, n_a, length in (*SIZES, (27, 50, 20)):
        p = random_parameters(rng, vocab_size, n_a)
        X, Y = random_example(rng, vocab_size, length)
        a0 = rng.standard_normal((n_a, 1))
        loss, cache = forward(X, Y, a0, p, vocab_size)
        grads, _ = backward(X, Y, p, cache)

        tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
        a0_t = torch.tensor(a0, requires_grad=True)
        a_t = a0_t
        logits = []
        for t in range(len(X)):
            x = torch.zeros((vocab_size, 1), dtype=torch.float64)
            if X[t] is not None:
                x[X[t]] = 1.0
            a_t = torch.tanh(tp["Wax"] @ x + tp["Waa"] @ a_t + tp["b"])
            logits.append((tp["Wya"] @ a_t + tp["by"])[:, 0])
        torch_loss = torch.nn.functional.cross_entropy(torch.stack(logits), torch.tensor(Y), reduction="sum")
        torch_loss.backward()
        assert a0_t.grad is not None
        worst = max(worst, relative_error(loss, float(torch_loss.detach())))
        for name, tensor in tp.items():
            assert tensor.grad is not None
            worst = max(worst, relative_error(grads["d" + name], tensor.grad.numpy()))
        worst = max(worst, relative_error(grads["da_next"], a0_t.grad.numpy()))
    return worst


def _course_clip_gradients() -> dict[str, Array]:
    np.random.seed(3)
    return {
        "dWax": np.random.randn(5, 3) * 10,
        "dWaa": np.random.randn(5, 5) * 10,
        "dWya": np.random.randn(2, 5) * 10,
        "db": np.random.randn(5, 1) * 10,
        "dby": np.random.randn(2, 1) * 10,
    }


def check_clip_known(clip: Clip = cm.clip) -> float:
    """The notebook's clip tests (seed 3, gradients randn * 10, maxValue 10 and 5)."""
    g10 = clip(_course_clip_gradients(), 10)
    g5 = clip(_course_clip_gradients(), 5)
    pairs = [
        (g10["dWaa"][1][2], 10.0),
        (g10["dWax"][3][1], -10.0),
        (g10["dWya"][1][2], 0.29713815361),
        (g10["db"][4], [10.0]),
        (g10["dby"][1], [8.45833407]),
        (g5["dWaa"][1][2], 5.0),
        (g5["dWax"][3][1], -5.0),
        (g5["dWya"][1][2], 0.29713815361),
        (g5["db"][4], [5.0]),
        (g5["dby"][1], [5.0]),
    ]
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs)


def check_optimize_known(optimize: Optimize = cm.optimize) -> float:
    """The notebook's optimize test (seed 1, vocab 27, n_a 100): loss and gradient entries."""
    np.random.seed(1)
    vocab_size, n_a = 27, 100
    a_prev = np.random.randn(n_a, 1)
    p = {
        "Wax": np.random.randn(n_a, vocab_size),
        "Waa": np.random.randn(n_a, n_a),
        "Wya": np.random.randn(vocab_size, n_a),
    }
    p["b"], p["by"] = np.random.randn(n_a, 1), np.random.randn(vocab_size, 1)
    X, Y = [12, 3, 5, 11, 22, 3], [4, 14, 11, 22, 25, 26]
    loss, g, a_last = optimize(X, Y, a_prev, p, learning_rate=0.01)[:3]
    pairs = [
        (loss, 126.503975722),
        (g["dWaa"][1][2], 0.194709315347),
        (float(np.argmax(g["dWax"])), 93.0),
        (g["dWya"][1][2], -0.007773876032),
        (g["db"][4], [-0.06809825]),
        (g["dby"][1], [0.01538192]),
        (a_last[4], [-1.0]),
    ]
    return max(float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs)


COURSE_SAMPLE = [23, 16, 26, 26, 24, 3, 21, 1, 7, 24, 15, 3, 25, 20, 6, 13, 10, 8, 20, 12, 2, 0]
"""The notebook's sample test: indices drawn with seed 0 from parameters made after seed 24."""


def check_sample_known(sample: Sample = cm.sample) -> float:
    """1.0 unless sample reproduces the notebook's indices (seed 24 parameters, sample seed 0)."""
    np.random.seed(24)
    vocab_size, n_a = 27, 100
    p = {
        "Wax": np.random.randn(n_a, vocab_size),
        "Waa": np.random.randn(n_a, n_a),
        "Wya": np.random.randn(vocab_size, n_a),
    }
    p["b"], p["by"] = np.random.randn(n_a, 1), np.random.randn(vocab_size, 1)
    return 0.0 if [int(i) for i in sample(p, CHAR_TO_IX, 0)] == COURSE_SAMPLE else 1.0


def check_clip_invariants(clip: Clip = cm.clip, seed: int = 2) -> float:
    """1.0 unless clip returns exactly the five gradients, each within [-maxValue, maxValue], equal
    to the input where it already was, and leaves its input unchanged."""
    rng = np.random.default_rng(seed)
    for max_value in (0.5, 5.0, 10.0):
        grads = {k: rng.standard_normal(s) * 20 for k, s in (("dWax", (5, 27)), ("dWaa", (5, 5)))}
        grads |= {
            k: rng.standard_normal(s) * 20 for k, s in (("dWya", (27, 5)), ("db", (5, 1)), ("dby", (27, 1)))
        }
        grads["da_next"] = rng.standard_normal((5, 1)) * 20
        before = {k: v.copy() for k, v in grads.items()}
        out = clip(grads, max_value)
        if set(out) != set(cm.GRADIENT_KEYS):
            return 1.0
        for key in cm.GRADIENT_KEYS:
            if not np.array_equal(grads[key], before[key]) or out[key] is grads[key]:
                return 1.0
            if not np.array_equal(out[key], np.minimum(np.maximum(before[key], -max_value), max_value)):
                return 1.0
    return 0.0


def check_sample_invariants(sample: Sample = cm.sample, seed: int = 3) -> float:
    """1.0 unless sample returns in-range indices ending with exactly one newline, at most 51 of
    them, the same list for the same seed, and leaves the parameters unchanged."""
    rng = np.random.default_rng(seed)
    for scale, n_a in ((0.01, 5), (1.0, 10), (3.0, 20)):
        p = random_parameters(rng, 27, n_a, scale)
        before = {k: v.copy() for k, v in p.items()}
        for s in (0, 1, 7):
            indices = [int(i) for i in sample(p, CHAR_TO_IX, s)]
            ok = (
                1 <= len(indices) <= 51
                and all(0 <= i < 27 for i in indices)
                and indices[-1] == CHAR_TO_IX["\n"]
                and CHAR_TO_IX["\n"] not in indices[:-1]
                and [int(i) for i in sample(p, CHAR_TO_IX, s)] == indices
            )
            if not ok:
                return 1.0
        if any(not np.array_equal(p[k], before[k]) for k in p):
            return 1.0
    return 0.0


def checks() -> list[Check]:
    """The checks of the character model."""
    return [
        Check(
            "char_model.rnn_backward",
            "gradient",
            "loss wrt all parameters and a0, 3 sizes",
            check_char_rnn_backward,
            1e-7,
        ),
        Check(
            "char_model.rnn_forward",
            "oracle",
            "loss vs F.cross_entropy(sum), gradients vs autograd",
            check_char_loss_torch,
            1e-12,
            requires_torch=True,
        ),
        Check("char_model.clip", "known-value", "notebook tests, maxValue 10 and 5", check_clip_known, 1e-8),
        Check("char_model.optimize", "known-value", "notebook test, seed 1", check_optimize_known, 1e-8),
        Check("char_model.sample", "known-value", "notebook indices, seed 24 / 0", check_sample_known, 0.5),
        Check(
            "char_model.clip", "invariant", "bounds, five keys, input unchanged", check_clip_invariants, 0.5
        ),
        Check(
            "char_model.sample",
            "invariant",
            "indices in range, one final newline, same seed same sample",
            check_sample_invariants,
            0.5,
        ),
    ]
