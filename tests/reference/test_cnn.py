"""reference.cnn: checks, students' typical mistakes, shapes, ties, errors, the loop version."""

from __future__ import annotations

import importlib.util
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference import cnn
from reference.checks import run_check
from reference.checks.cnn import (
    check_average_pool_conserves_gradient,
    check_conv_backward,
    check_conv_backward_torch,
    check_conv_forward_course,
    check_conv_forward_torch,
    check_conv_single_step,
    check_create_mask_from_window,
    check_distribute_value,
    check_output_shapes,
    check_pool_backward,
    check_pool_backward_torch,
    check_pool_known_values,
    check_zero_pad,
    checks,
)


def _load_naive():
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "naive_cnn.py"
    spec = importlib.util.spec_from_file_location("naive_cnn_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


naive = _load_naive()


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


def _rejected(run, tolerance):
    """True when a check fails: its error exceeds the tolerance or the implementation crashes."""
    try:
        error = run()
    except (ValueError, IndexError):
        return True
    return not error <= tolerance


# --------------------------------------------------------------------------- students' mistakes
# Loop implementations in the course's style, each with one mistake from anchors section 3.


def _student_conv_forward(A_prev, W, b, hparameters, bug):
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, _, _, n_C = W.shape
    stride, pad = hparameters["stride"], hparameters["pad"]
    if bug == "hard-coded pad":
        pad = 1
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    Z = np.zeros((m, n_H, n_W, n_C))
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    source = A_prev if bug == "unpadded slice" else A_pad
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                top, left = (h, w) if bug == "no stride" else (h * stride, w * stride)
                window = source[i, top : top + f, left : left + f, :]
                for c in range(n_C):
                    Z[i, h, w, c] = np.sum(window * W[:, :, :, c]) + b[0, 0, 0, c]
    return Z, (A_prev, W, b, hparameters)


def _student_conv_backward(dZ, cache, bug):
    A_prev, W, b, hparameters = cache
    f = W.shape[0]
    stride, pad = hparameters["stride"], hparameters["pad"]
    _, n_H, n_W, n_C = dZ.shape
    A_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dA_pad = np.zeros(A_pad.shape)
    dW, db = np.zeros(W.shape), np.zeros(b.shape)
    source = A_prev if bug == "dW from unpadded input" else A_pad
    for i in range(dZ.shape[0]):
        for h in range(n_H):
            for w in range(n_W):
                top, left = h * stride, w * stride
                for c in range(n_C):
                    g = dZ[i, h, w, c]
                    dA_pad[i, top : top + f, left : left + f, :] += W[:, :, :, c] * g
                    window = source[i, top : top + f, left : left + f, :]
                    dW[:, :, :, c] += window * g
                    db[:, :, :, c] += g
    if bug == "[pad:-pad]":
        dA_prev = dA_pad[:, pad:-pad, pad:-pad, :]
    else:
        dA_prev = dA_pad[:, pad : pad + A_prev.shape[1], pad : pad + A_prev.shape[2], :]
    return dA_prev, dW, db


@pytest.mark.parametrize("bug", ["no stride", "unpadded slice", "hard-coded pad"])
def test_conv_forward_mistakes_fail_the_oracle(bug):
    def forward(A, W, b, hp):
        return _student_conv_forward(A, W, b, hp, bug)

    assert _rejected(lambda: check_conv_forward_torch(forward), 1e-12)


def test_correct_student_conv_forward_passes_the_oracle():
    # The loop mutants are honest: without the mistake they agree with torch.
    def forward(A, W, b, hp):
        return _student_conv_forward(A, W, b, hp, bug=None)

    assert check_conv_forward_torch(forward) < 1e-12


@pytest.mark.parametrize("bug", ["[pad:-pad]", "dW from unpadded input"])
def test_conv_backward_mistakes_fail_the_gradient_check(bug):
    def backward(dZ, cache):
        return _student_conv_backward(dZ, cache, bug)

    assert _rejected(lambda: check_conv_backward(backward=backward), 1e-7)
    assert _rejected(lambda: check_conv_backward_torch(backward=backward), 1e-12)


def test_correct_student_conv_backward_passes():
    def backward(dZ, cache):
        return _student_conv_backward(dZ, cache, bug=None)

    assert check_conv_backward(backward=backward) < 1e-7


def test_conv_single_step_returning_an_array_fails():
    # Adding the (1, 1, 1) bias array without converting gives a (1, 1, 1) array, not a float.
    def wrong(a_slice_prev, W, b):
        return np.sum(a_slice_prev * W) + b

    assert check_conv_single_step(wrong) == math.inf


def test_conv_single_step_returns_a_python_float():
    value = cnn.conv_single_step(np.ones((2, 2, 3)), np.full((2, 2, 3), 0.5), np.full((1, 1, 1), 1.0))
    assert type(value) is float
    assert value == 7.0


def test_zero_pad_on_every_axis_fails():
    def wrong(X, pad):
        return np.pad(X, pad)

    assert check_zero_pad(wrong) == math.inf


def _argmax_mask(x):
    # torch's behaviour: only one maximum (the first) is marked.
    mask = np.zeros(x.shape, dtype=bool)
    mask[np.unravel_index(np.argmax(x), x.shape)] = True
    return mask


@pytest.mark.parametrize(
    "mask",
    [
        lambda x: x > np.max(x),  # strict comparison: nothing is ever marked
        lambda x: x >= np.mean(x),  # everything above the mean
        lambda x: x == np.min(x),  # the minimum
    ],
    ids=["x > max", "x >= mean", "x == min"],
)
def test_wrong_pooling_masks_fail(monkeypatch, mask):
    assert check_create_mask_from_window(mask) > 0
    monkeypatch.setattr(naive, "create_mask_from_window", mask)
    assert _rejected(lambda: check_pool_backward("max", backward=naive.pool_backward), 1e-7)


def test_argmax_only_mask_is_caught_by_the_ties_checks(monkeypatch):
    # On continuous random inputs no window has ties, so the gradient check cannot tell the
    # argmax rule from the course's rule; the hand-written tied windows can.
    assert check_create_mask_from_window(_argmax_mask) > 0
    monkeypatch.setattr(naive, "create_mask_from_window", _argmax_mask)
    assert check_pool_backward("max", backward=naive.pool_backward) < 1e-7
    assert check_pool_known_values(backward=naive.pool_backward) > 0.5


def test_distribute_value_without_division_fails(monkeypatch):
    def undivided(dz, shape):
        return np.full(shape, float(dz))

    assert check_distribute_value(undivided) > 0.1
    monkeypatch.setattr(naive, "distribute_value", undivided)
    assert check_pool_backward("average", backward=naive.pool_backward) > 0.1
    assert check_average_pool_conserves_gradient(backward=naive.pool_backward) > 0.1


def test_course_known_value_rejects_a_forward_without_bias_and_keeps_rng_state():
    def no_bias(A, W, b, hp):
        return cnn.conv_forward(A, W, np.zeros_like(b), hp)

    state = np.random.get_state()[1].copy()
    assert check_conv_forward_course(no_bias) > 1e-3
    assert check_conv_forward_course() < 1e-12
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_output_shape_check_rejects_a_missing_plus_one():
    def short(A, W, b, hp):
        Z, cache = cnn.conv_forward(A, W, b, hp)
        return Z[:, :-1], cache

    assert check_output_shapes(conv_forward=short) == 1.0


# --------------------------------------------------------------------------- ties and torch


def test_create_mask_marks_every_tied_maximum():
    x = np.array([[2.0, 5.0, 5.0], [1.0, 5.0, 0.0]])
    np.testing.assert_array_equal(cnn.create_mask_from_window(x), x == 5.0)
    assert cnn.create_mask_from_window(x).dtype == np.bool_


def test_max_pool_ties_differ_from_torch_in_the_documented_way():
    # Constant windows: every entry ties. The course (and the reference) gives each tied entry the
    # window's gradient; torch gives it to exactly one entry per window.
    A_prev = np.ones((1, 4, 4, 2))
    dA = np.arange(1.0, 9.0).reshape(1, 2, 2, 2)
    hp = {"f": 2, "stride": 2}
    _, cache = cnn.pool_forward(A_prev, hp, "max")
    ours = cnn.pool_backward(dA, cache, "max")

    x = torch.tensor(A_prev.transpose(0, 3, 1, 2), requires_grad=True)
    torch.nn.functional.max_pool2d(x, 2, 2).backward(torch.tensor(dA.transpose(0, 3, 1, 2)))
    theirs = x.grad.numpy().transpose(0, 2, 3, 1)

    assert not np.allclose(ours, theirs)  # the difference exists
    windows_ours = ours.reshape(1, 2, 2, 2, 2, 2)  # (m, n_H, i, n_W, j, C)
    windows_theirs = theirs.reshape(1, 2, 2, 2, 2, 2)
    # Accounting for it: torch's entry is one of ours, with the same value, and dividing ours
    # by the number of tied entries per window (4 here) gives torch's per-window totals.
    chosen = windows_theirs != 0
    assert chosen.sum(axis=(2, 4)).max() == 1
    np.testing.assert_array_equal(windows_ours[chosen], windows_theirs[chosen])
    np.testing.assert_array_equal(windows_ours.sum(axis=(2, 4)) / 4.0, windows_theirs.sum(axis=(2, 4)))
    np.testing.assert_array_equal(windows_theirs.sum(axis=(2, 4)), dA)


def test_max_pool_agrees_with_torch_once_ties_are_broken():
    rng = np.random.default_rng(7)
    A_prev = np.ones((1, 4, 4, 2)) + rng.uniform(0, 1e-3, (1, 4, 4, 2))
    dA = rng.standard_normal((1, 2, 2, 2))
    _, cache = cnn.pool_forward(A_prev, {"f": 2, "stride": 2}, "max")
    x = torch.tensor(A_prev.transpose(0, 3, 1, 2), requires_grad=True)
    torch.nn.functional.max_pool2d(x, 2, 2).backward(torch.tensor(dA.transpose(0, 3, 1, 2)))
    np.testing.assert_array_equal(cnn.pool_backward(dA, cache, "max"), x.grad.numpy().transpose(0, 2, 3, 1))


# --------------------------------------------------------------------------- shapes and invariants


@st.composite
def conv_setups(draw):
    f = draw(st.integers(1, 3))
    pad = draw(st.integers(0, 2))
    stride = draw(st.integers(1, 3))
    n_H = draw(st.integers(max(1, f - 2 * pad), 7))
    n_W = draw(st.integers(max(1, f - 2 * pad), 7))
    m, n_C_prev, n_C = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal((m, n_H, n_W, n_C_prev))
    W = rng.standard_normal((f, f, n_C_prev, n_C))
    b = rng.standard_normal((1, 1, 1, n_C))
    return A_prev, W, b, {"pad": pad, "stride": stride}, rng


@given(conv_setups())
def test_conv_matches_the_loop_version_and_the_output_size_formula(setup):
    A_prev, W, b, hp, rng = setup
    m, n_H_prev, n_W_prev, _ = A_prev.shape
    f, pad, stride = W.shape[0], hp["pad"], hp["stride"]
    Z, cache = cnn.conv_forward(A_prev, W, b, hp)
    n_H = (n_H_prev + 2 * pad - f) // stride + 1
    n_W = (n_W_prev + 2 * pad - f) // stride + 1
    assert Z.shape == (m, n_H, n_W, W.shape[3])
    Z_loop, _ = naive.conv_forward(A_prev, W, b, hp)
    np.testing.assert_allclose(Z, Z_loop, rtol=1e-12, atol=1e-12)

    dZ = rng.standard_normal(Z.shape)
    grads = cnn.conv_backward(dZ, cache)
    for ours, loop, like in zip(grads, naive.conv_backward(dZ, cache), (A_prev, W, b), strict=True):
        assert ours.shape == like.shape
        np.testing.assert_allclose(ours, loop, rtol=1e-12, atol=1e-12)


@st.composite
def pool_setups(draw):
    f = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 4))
    n_H, n_W = draw(st.integers(f, 8)), draw(st.integers(f, 8))
    m, n_C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # Small integers: windows often hold tied maxima, which must all receive the gradient.
    A_prev = rng.integers(0, 3, (m, n_H, n_W, n_C)).astype(np.float64)
    return A_prev, {"f": f, "stride": stride}, rng


@given(pool_setups(), st.sampled_from(["max", "average"]))
def test_pooling_matches_the_loop_version_ties_included(setup, mode):
    A_prev, hp, rng = setup
    m, n_H_prev, n_W_prev, n_C = A_prev.shape
    f, stride = hp["f"], hp["stride"]
    A, cache = cnn.pool_forward(A_prev, hp, mode)
    assert A.shape == (m, (n_H_prev - f) // stride + 1, (n_W_prev - f) // stride + 1, n_C)
    np.testing.assert_allclose(A, naive.pool_forward(A_prev, hp, mode)[0], rtol=1e-12, atol=1e-15)
    dA = rng.standard_normal(A.shape)
    dA_prev = cnn.pool_backward(dA, cache, mode)
    assert dA_prev.shape == A_prev.shape
    np.testing.assert_allclose(dA_prev, naive.pool_backward(dA, cache, mode), rtol=1e-12, atol=1e-14)
    if mode == "average":
        # Every window hands out exactly its own gradient.
        assert math.isclose(dA_prev.sum(), dA.sum(), rel_tol=1e-12, abs_tol=1e-12)


@given(conv_setups())
def test_zero_pad_shape_and_border(setup):
    A_prev, _, _, hp, _ = setup
    pad = hp["pad"]
    padded = cnn.zero_pad(A_prev, pad)
    m, n_H, n_W, n_C = A_prev.shape
    assert padded.shape == (m, n_H + 2 * pad, n_W + 2 * pad, n_C)
    np.testing.assert_array_equal(padded[:, pad : pad + n_H, pad : pad + n_W, :], A_prev)
    border = padded.copy()
    border[:, pad : pad + n_H, pad : pad + n_W, :] = 0.0
    assert not border.any()


def test_chunked_batches_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(3)
    A_prev = rng.standard_normal((5, 6, 7, 3))
    W = rng.standard_normal((3, 3, 3, 4))
    b = rng.standard_normal((1, 1, 1, 4))
    hp = {"pad": 1, "stride": 2}
    Z, cache = cnn.conv_forward(A_prev, W, b, hp)
    dZ = rng.standard_normal(Z.shape)
    grads = cnn.conv_backward(dZ, cache)
    pool_cases = [({"f": 2, "stride": 2}, mode) for mode in ("max", "average")]
    pool_cases += [
        ({"f": 3, "stride": 3}, "max"),
        ({"f": 3, "stride": 2}, "max"),
        ({"f": 2, "stride": 3}, "average"),
    ]
    pooled = []
    for pool_hp, mode in pool_cases:
        A, pool_cache = cnn.pool_forward(A_prev, pool_hp, mode)
        dA = rng.standard_normal(A.shape)
        pooled.append((A, dA, cnn.pool_backward(dA, pool_cache, mode)))

    monkeypatch.setattr(cnn, "_CHUNK_NUMBERS", 1)  # one example per chunk
    monkeypatch.setattr(cnn, "_POOL_CHUNK_NUMBERS", 1)
    monkeypatch.setattr(cnn, "_MIN_BLOCK", 1)
    assert len(cnn._batch_chunks(5, 100)) == 5
    assert len(cnn._batch_chunks(5, 100, cnn._POOL_CHUNK_NUMBERS)) == 5
    np.testing.assert_allclose(cnn.conv_forward(A_prev, W, b, hp)[0], Z, rtol=1e-13, atol=1e-13)
    for chunked, whole in zip(cnn.conv_backward(dZ, cache), grads, strict=True):
        np.testing.assert_allclose(chunked, whole, rtol=1e-13, atol=1e-13)
    for (pool_hp, mode), (A, dA, dA_prev) in zip(pool_cases, pooled, strict=True):
        A_chunked, pool_cache = cnn.pool_forward(A_prev, pool_hp, mode)
        np.testing.assert_array_equal(A_chunked, A)
        np.testing.assert_array_equal(cnn.pool_backward(dA, pool_cache, mode), dA_prev)


def test_inputs_are_not_mutated():
    rng = np.random.default_rng(11)
    A_prev = rng.standard_normal((2, 6, 5, 3))
    W = rng.standard_normal((3, 3, 3, 2))
    b = rng.standard_normal((1, 1, 1, 2))
    hp = {"pad": 1, "stride": 1}
    copies = [x.copy() for x in (A_prev, W, b)]
    Z, cache = cnn.conv_forward(A_prev, W, b, hp)
    dZ = rng.standard_normal(Z.shape)
    dZ_copy = dZ.copy()
    cnn.conv_backward(dZ, cache)
    for original, copy in zip((A_prev, W, b), copies, strict=True):
        np.testing.assert_array_equal(original, copy)
    np.testing.assert_array_equal(dZ, dZ_copy)
    assert hp == {"pad": 1, "stride": 1}
    assert cache[0] is A_prev and cache[1] is W and cache[2] is b and cache[3] is hp

    for pool_hp in ({"f": 2, "stride": 2}, {"f": 3, "stride": 1}):
        for mode in ("max", "average"):
            hp_copy = dict(pool_hp)
            A, pool_cache = cnn.pool_forward(A_prev, pool_hp, mode)
            assert pool_cache[0] is A_prev and pool_cache[1] is pool_hp
            dA = rng.standard_normal(A.shape)
            dA_copy = dA.copy()
            dA_prev = cnn.pool_backward(dA, pool_cache, mode)
            np.testing.assert_array_equal(A_prev, copies[0])
            np.testing.assert_array_equal(dA, dA_copy)
            assert pool_hp == hp_copy
            assert not np.shares_memory(dA_prev, A_prev)

    X = copies[0].copy()
    cnn.zero_pad(X, 2)
    np.testing.assert_array_equal(X, copies[0])


# --------------------------------------------------------------------------- errors


def _conv_args(A_shape=(1, 4, 4, 2), W_shape=(3, 3, 2, 3), b_shape=(1, 1, 1, 3)):
    return np.zeros(A_shape), np.zeros(W_shape), np.zeros(b_shape)


@pytest.mark.parametrize(
    ("shapes", "hp", "message"),
    [
        ({}, {"pad": 0, "stride": 0}, "'stride'.*>= 1"),
        ({}, {"pad": 0, "stride": -2}, "'stride'.*>= 1"),
        ({}, {"pad": -1, "stride": 1}, "'pad'.*>= 0"),
        ({}, {"pad": 0, "stride": 1.5}, "integer"),
        ({}, {"pad": 1}, "needs 'stride'"),
        ({"A_shape": (1, 2, 4, 2)}, {"pad": 0, "stride": 1}, "larger than the padded input height"),
        ({"A_shape": (1, 4, 1, 2)}, {"pad": 0, "stride": 1}, "larger than the padded input width"),
        ({"A_shape": (1, 4, 4, 5)}, {"pad": 0, "stride": 1}, "channel mismatch"),
        ({"b_shape": (1, 1, 1, 2)}, {"pad": 0, "stride": 1}, r"b must have shape \(1, 1, 1, 3\)"),
        ({"W_shape": (3, 2, 2, 3)}, {"pad": 0, "stride": 1}, r"W must be \(f, f"),
        ({"A_shape": (4, 4, 2)}, {"pad": 0, "stride": 1}, "4-D"),
    ],
)
def test_conv_forward_rejects_bad_arguments(shapes, hp, message):
    with pytest.raises(ValueError, match=message):
        cnn.conv_forward(*_conv_args(**shapes), hp)


def test_conv_forward_accepts_a_window_that_only_fits_with_padding():
    Z, _ = cnn.conv_forward(*_conv_args(A_shape=(1, 1, 1, 2)), {"pad": 1, "stride": 1})
    assert Z.shape == (1, 1, 1, 3)


def test_conv_backward_rejects_a_mismatched_dZ():
    _, cache = cnn.conv_forward(*_conv_args(), {"pad": 0, "stride": 1})
    with pytest.raises(ValueError, match="dZ must have the output's shape"):
        cnn.conv_backward(np.zeros((1, 3, 3, 3)), cache)


@pytest.mark.parametrize(
    ("hp", "mode", "message"),
    [
        ({"f": 5, "stride": 1}, "max", "larger than the padded input height"),
        ({"f": 2, "stride": 0}, "max", "'stride'.*>= 1"),
        ({"f": 0, "stride": 1}, "average", "'f'.*>= 1"),
        ({"f": 2, "stride": True}, "max", "integer"),
        ({"stride": 1}, "max", "needs 'f'"),
        ({"f": 2, "stride": 2}, "min", "mode must be one of"),
    ],
)
def test_pool_forward_rejects_bad_arguments(hp, mode, message):
    with pytest.raises(ValueError, match=message):
        cnn.pool_forward(np.zeros((1, 4, 6, 2)), hp, mode)


def test_pool_backward_rejects_bad_arguments():
    _, cache = cnn.pool_forward(np.zeros((1, 4, 4, 2)), {"f": 2, "stride": 2})
    with pytest.raises(ValueError, match="dA must have the output's shape"):
        cnn.pool_backward(np.zeros((1, 3, 2, 2)), cache)
    with pytest.raises(ValueError, match="mode must be one of"):
        cnn.pool_backward(np.zeros((1, 2, 2, 2)), cache, "sum")


def test_small_helpers_reject_bad_arguments():
    with pytest.raises(ValueError, match="non-negative integer"):
        cnn.zero_pad(np.zeros((1, 2, 2, 1)), -1)
    with pytest.raises(ValueError, match="same shape"):
        cnn.conv_single_step(np.zeros((2, 2, 1)), np.zeros((3, 3, 1)), np.zeros((1, 1, 1)))
    with pytest.raises(ValueError, match="single value"):
        cnn.conv_single_step(np.zeros((2, 2, 1)), np.zeros((2, 2, 1)), np.zeros((1, 1, 2)))
    with pytest.raises(ValueError, match="positive"):
        cnn.distribute_value(1.0, (0, 2))


# --------------------------------------------------------------------------- the loop version


def test_loop_version_agrees_with_the_reference_on_a_tiny_case():
    # benchmarks/naive_cnn.py is what the benchmark times: it must compute the same thing.
    rng = np.random.default_rng(5)
    A_prev = rng.standard_normal((2, 5, 4, 3))
    W = rng.standard_normal((2, 2, 3, 2))
    b = rng.standard_normal((1, 1, 1, 2))
    for hp in ({"pad": 0, "stride": 1}, {"pad": 2, "stride": 3}):
        Z, cache = cnn.conv_forward(A_prev, W, b, hp)
        Z_loop, cache_loop = naive.conv_forward(A_prev, W, b, hp)
        np.testing.assert_allclose(Z_loop, Z, rtol=1e-12)
        dZ = rng.standard_normal(Z.shape)
        for loop, ours in zip(naive.conv_backward(dZ, cache_loop), cnn.conv_backward(dZ, cache), strict=True):
            np.testing.assert_allclose(loop, ours, rtol=1e-12, atol=1e-12)
    for hp in ({"f": 2, "stride": 2}, {"f": 3, "stride": 1}):
        for mode in ("max", "average"):
            A, cache = cnn.pool_forward(A_prev, hp, mode)
            A_loop, cache_loop = naive.pool_forward(A_prev, hp, mode)
            np.testing.assert_allclose(A_loop, A, rtol=1e-12)
            dA = rng.standard_normal(A.shape)
            np.testing.assert_allclose(
                naive.pool_backward(dA, cache_loop, mode),
                cnn.pool_backward(dA, cache, mode),
                rtol=1e-12,
                atol=1e-15,
            )
    a, w = rng.standard_normal((3, 3, 2)), rng.standard_normal((3, 3, 2))
    bias = rng.standard_normal((1, 1, 1))
    assert naive.conv_single_step(a, w, bias) == pytest.approx(cnn.conv_single_step(a, w, bias), rel=1e-13)
    assert check_pool_backward_torch(naive.pool_forward, naive.pool_backward) < 1e-12


def test_batches_run_in_a_few_large_blocks_never_per_example():
    # Blocks bound memory; each holds many examples, and they cover the batch exactly once.
    per_example = 32 * 32 * 3 * 3 * 16  # the benchmark's window matrix per example
    assert cnn._batch_chunks(32, per_example) == [(0, 11), (11, 21), (21, 32)]
    assert cnn._batch_chunks(32, 32 * 32 * 16, cnn._POOL_CHUNK_NUMBERS) == [(0, 32)]
    assert cnn._batch_chunks(5, 10**9) == [(0, 5)]
    for m in (1, 7, 9, 100, 2001):
        blocks = cnn._batch_chunks(m, per_example)
        assert blocks[0][0] == 0 and blocks[-1][1] == m
        assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(blocks))
        assert all(stop - start >= min(m, cnn._MIN_BLOCK) for start, stop in blocks)
