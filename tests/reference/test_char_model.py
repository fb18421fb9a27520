"""reference.char_model: the Dinosaurus Island character model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import char_model as cm
from reference.checks import run_check
from reference.checks.char_model import (
    CHAR_TO_IX,
    IX_TO_CHAR,
    check_char_loss_torch,
    check_char_rnn_backward,
    check_clip_invariants,
    check_clip_known,
    check_optimize_known,
    check_sample_invariants,
    check_sample_known,
    checks,
    random_example,
    random_parameters,
)

NAMES = [
    "Aachenosaurus\n",
    "Aardonyx\n",
    "Abelisaurus\n",
    "Abrictosaurus\n",
    "Acanthopholis\n",
    "Zuniceratops\n",
]


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


# ---------------------------------------------------------------------------------------------
# Mutants
# ---------------------------------------------------------------------------------------------


def test_clip_that_mutates_in_place_fails():
    def course_clip(gradients, maxValue):
        for key in ("dWax", "dWaa", "dWya", "db", "dby"):
            np.clip(gradients[key], -maxValue, maxValue, out=gradients[key])
        return {k: gradients[k] for k in ("dWaa", "dWax", "dWya", "db", "dby")}

    assert check_clip_invariants(clip=course_clip) == 1.0
    # It does compute the right values: only the mutation is wrong.
    assert check_clip_known(clip=course_clip) < 1e-8


def test_clip_that_skips_some_gradients_fails():
    def partial_clip(gradients, maxValue):
        out = {k: np.array(gradients[k]) for k in ("dWaa", "dWax", "dWya", "db", "dby")}
        for key in ("dWaa", "dWax", "dWya"):  # forgets db and dby
            out[key] = np.clip(out[key], -maxValue, maxValue)
        return out

    assert check_clip_invariants(clip=partial_clip) == 1.0
    assert check_clip_known(clip=partial_clip) > 1.0


def test_clip_that_keeps_da_next_fails_the_key_check():
    def extra_key_clip(gradients, maxValue):
        return {k: np.clip(v, -maxValue, maxValue) for k, v in gradients.items()}

    assert check_clip_invariants(clip=extra_key_clip) == 1.0


def _student_rnn_backward(X, Y, parameters, cache, *, derivative_from_prev=False, recurrent=True):
    y_hat, a, x = cache
    g = {k: np.zeros_like(parameters[k[1:]]) for k in ("dWax", "dWaa", "dWya", "db", "dby")}
    da_next = np.zeros_like(a[0])
    for t in reversed(range(len(X))):
        dy = y_hat[t].copy()
        dy[Y[t]] -= 1
        g["dWya"] += dy @ a[t].T
        g["dby"] += dy
        da = parameters["Wya"].T @ dy + (da_next if recurrent else 0)
        a_t = a[t - 1] if derivative_from_prev else a[t]
        daraw = (1 - a_t**2) * da
        g["db"] += daraw
        g["dWax"] += daraw @ x[t].T
        g["dWaa"] += daraw @ a[t - 1].T
        da_next = parameters["Waa"].T @ daraw
    g["da_next"] = da_next
    return g, a


def test_student_style_rnn_backward_passes():
    assert check_char_rnn_backward(backward=_student_rnn_backward) < 1e-7


def test_rnn_backward_with_the_previous_state_in_the_tanh_derivative_fails():
    def wrong(*args):
        return _student_rnn_backward(*args, derivative_from_prev=True)

    assert check_char_rnn_backward(backward=wrong) > 1e-2


def test_rnn_backward_without_recurrent_gradient_fails():
    def wrong(*args):
        return _student_rnn_backward(*args, recurrent=False)

    assert check_char_rnn_backward(backward=wrong) > 1e-2


def test_loss_averaged_instead_of_summed_fails_the_oracle():
    def mean_forward(X, Y, a0, parameters, vocab_size=27):
        loss, cache = cm.rnn_forward(X, Y, a0, parameters, vocab_size)
        return loss / len(X), cache

    assert check_char_loss_torch(forward=mean_forward) > 1e-2


def test_sample_seeded_once_fails_known_values():
    def seeded_once(parameters, char_to_ix, seed):
        np.random.seed(seed)
        vocab_size, n_a = parameters["by"].shape[0], parameters["Waa"].shape[1]
        x, a_prev, indices, idx = np.zeros((vocab_size, 1)), np.zeros((n_a, 1)), [], -1
        while idx != char_to_ix["\n"] and len(indices) != 50:
            a_prev = np.tanh(parameters["Wax"] @ x + parameters["Waa"] @ a_prev + parameters["b"])
            y, _ = cm.softmax(parameters["Wya"] @ a_prev + parameters["by"])
            idx = int(np.random.choice(vocab_size, p=y.ravel()))
            indices.append(idx)
            x = np.zeros((vocab_size, 1))
            x[idx] = 1
        if len(indices) == 50:
            indices.append(char_to_ix["\n"])
        return indices

    assert check_sample_known(sample=seeded_once) == 1.0
    assert check_sample_invariants(sample=seeded_once) == 0.0  # valid, but not the course's draws


def test_sample_that_may_return_without_final_newline_fails():
    def no_newline(parameters, char_to_ix, seed):
        out = cm.sample(parameters, char_to_ix, seed)
        return out[:-1] if len(out) == 51 else out

    # Small weights give near-uniform draws: names reach 50 characters only rarely, so use
    # parameters that never predict a newline.
    def never_newline(parameters, char_to_ix, seed):
        p = dict(parameters)
        p["by"] = parameters["by"].copy()
        p["by"][char_to_ix["\n"]] = -1e3
        return no_newline(p, char_to_ix, seed)

    assert check_sample_invariants(sample=never_newline) == 1.0


def test_optimize_without_clipping_fails_known_values():
    def unclipped(X, Y, a_prev, parameters, learning_rate=0.01):
        loss, cache = cm.rnn_forward(X, Y, a_prev, parameters)
        g, a = cm.rnn_backward(X, Y, parameters, cache)
        return loss, g, a[len(X) - 1]

    assert check_optimize_known(optimize=unclipped) > 1e-2


# ---------------------------------------------------------------------------------------------
# Behaviour
# ---------------------------------------------------------------------------------------------


def test_sample_reseeds_the_global_generator_with_seed_plus_twice_the_step(monkeypatch):
    seeds = []
    real_seed = np.random.seed

    def recording_seed(s):
        seeds.append(s)
        real_seed(s)

    monkeypatch.setattr(np.random, "seed", recording_seed)
    p = random_parameters(np.random.default_rng(0), 27, 8)
    p["by"] = p["by"].copy()
    p["by"][0] = -50.0  # no newline: the full 50 draws
    indices = cm.sample(p, CHAR_TO_IX, 5)
    assert len(indices) == 51 and indices[-1] == 0
    assert seeds == [5 + 2 * k for k in range(50)]


def test_sample_depends_only_on_parameters_and_seed():
    p = random_parameters(np.random.default_rng(1), 27, 8)
    first = cm.sample(p, CHAR_TO_IX, 3)
    np.random.seed(12345)  # the global state before the call does not matter
    assert cm.sample(p, CHAR_TO_IX, 3) == first
    assert all(isinstance(i, int) for i in first)


@given(st.integers(0, 10_000), st.floats(0.01, 5.0), st.integers(1, 30))
def test_sample_invariants_hold_for_any_seed_and_scale(seed, scale, n_a):
    p = random_parameters(np.random.default_rng(seed), 27, n_a, scale)
    indices = cm.sample(p, CHAR_TO_IX, seed)
    assert 1 <= len(indices) <= 51
    assert all(0 <= i < 27 for i in indices)
    assert indices[-1] == 0
    # The course appends a newline whenever 50 characters were drawn, even when the 50th already
    # was one: then (and only then) the sample ends with two.
    body = indices[:-2] if len(indices) == 51 and indices[-2] == 0 else indices[:-1]
    assert 0 not in body


@given(
    st.dictionaries(
        st.sampled_from(("dWax", "dWaa", "dWya", "db", "dby")), st.floats(-100, 100), min_size=5, max_size=5
    ),
    st.floats(0.001, 50),
)
def test_clip_bounds(values, max_value):
    grads = {k: np.full((2, 3), v) for k, v in values.items()}
    out = cm.clip(grads, max_value)
    for k, v in values.items():
        assert np.all(np.abs(out[k]) <= max_value)
        np.testing.assert_array_equal(grads[k], np.full((2, 3), v))
        if abs(v) <= max_value:
            np.testing.assert_array_equal(out[k], grads[k])


@given(st.integers(0, 1000), st.integers(2, 15))
def test_rnn_forward_loss_is_the_sum_of_negative_log_probabilities(seed, length):
    rng = np.random.default_rng(seed)
    p = random_parameters(rng, 27, 6)
    X, Y = random_example(rng, 27, length)
    a0 = rng.standard_normal((6, 1))
    loss, (y_hat, a, x) = cm.rnn_forward(X, Y, a0, p)
    assert loss == pytest.approx(-sum(np.log(y_hat[t][Y[t], 0]) for t in range(length)), rel=1e-12)
    assert set(a) == set(range(-1, length)) and np.array_equal(a[-1], a0) and a[-1] is not a0
    assert not x[0].any() and all(x[t].sum() == 1 for t in range(1, length))
    for t in range(length):
        assert y_hat[t].shape == (27, 1) and y_hat[t].sum() == pytest.approx(1.0)


def test_optimize_keeps_the_course_return_and_optimize_step_returns_the_update():
    rng = np.random.default_rng(4)
    p = random_parameters(rng, 27, 10, 2.0)
    X, Y = random_example(rng, 27, 9)
    a_prev = rng.standard_normal((10, 1))
    before = {k: v.copy() for k, v in p.items()}
    result = cm.optimize(X, Y, a_prev, p, learning_rate=0.05)
    assert len(result) == 3
    loss, grads, a_last, new_p = cm.optimize_step(X, Y, a_prev, p, learning_rate=0.05)
    assert loss == result[0] and np.array_equal(a_last, result[2])
    assert set(grads) == set(cm.GRADIENT_KEYS)
    for k in cm.GRADIENT_KEYS:
        np.testing.assert_array_equal(grads[k], result[1][k])
        assert np.all(np.abs(grads[k]) <= 5.0)
    for k in p:
        np.testing.assert_array_equal(p[k], before[k])  # never mutated
        np.testing.assert_allclose(new_p[k], p[k] - 0.05 * grads["d" + k], rtol=0, atol=0)
    _, cache = cm.rnn_forward(X, Y, a_prev, p)
    np.testing.assert_array_equal(a_last, cache[1][len(X) - 1])


def test_update_parameters_and_rnn_step_backward_return_new_dictionaries():
    rng = np.random.default_rng(5)
    p = random_parameters(rng, 5, 3)
    grads = {"d" + k: rng.standard_normal(v.shape) for k, v in p.items()}
    grads["da_next"] = rng.standard_normal((3, 1))
    p_before = {k: v.copy() for k, v in p.items()}
    g_before = {k: v.copy() for k, v in grads.items()}
    new_p = cm.update_parameters(p, grads, 0.1)
    x, a, a_prev, dy = (
        np.eye(5)[:, [2]],
        rng.standard_normal((3, 1)),
        rng.standard_normal((3, 1)),
        rng.random((5, 1)),
    )
    new_g = cm.rnn_step_backward(dy, grads, p, x, a, a_prev)
    for k in p:
        np.testing.assert_array_equal(p[k], p_before[k])
        np.testing.assert_allclose(new_p[k], p[k] - 0.1 * grads["d" + k])
    for k in grads:
        np.testing.assert_array_equal(grads[k], g_before[k])
    np.testing.assert_allclose(new_g["dWya"], grads["dWya"] + dy @ a.T)
    np.testing.assert_allclose(new_g["dby"], grads["dby"] + dy)


def test_rnn_forward_does_not_mutate_a0():
    rng = np.random.default_rng(6)
    p = random_parameters(rng, 27, 4)
    a0 = rng.standard_normal((4, 1))
    a0_before = a0.copy()
    X, Y = random_example(rng, 27, 6)
    _, cache = cm.rnn_forward(X, Y, a0, p)
    cm.rnn_backward(X, Y, p, cache)
    np.testing.assert_array_equal(a0, a0_before)


def test_initialize_parameters_follows_the_course():
    p = cm.initialize_parameters(7, 27, 27)
    np.random.seed(1)
    np.testing.assert_array_equal(p["Wax"], np.random.randn(7, 27) * 0.01)
    np.testing.assert_array_equal(p["Waa"], np.random.randn(7, 7) * 0.01)
    np.testing.assert_array_equal(p["Wya"], np.random.randn(27, 7) * 0.01)
    assert p["b"].shape == (7, 1) and p["by"].shape == (27, 1)
    assert not p["b"].any() and not p["by"].any()


def test_small_helpers():
    assert cm.get_initial_loss(27, 7) == pytest.approx(7 * np.log(27))
    assert cm.smooth(10.0, 20.0) == pytest.approx(10.01)
    assert cm.get_sample([1, 2, 3, 0], IX_TO_CHAR) == "Abc\n"


def _average_loss(parameters, names):
    total = 0.0
    for name in names:
        X = [None, *(CHAR_TO_IX[c] for c in name.strip().lower())]
        Y = [*X[1:], 0]
        total += cm.rnn_forward(X, Y, np.zeros((parameters["Waa"].shape[0], 1)), parameters)[0]
    return total / len(names)


def test_model_trains_deterministically_and_lowers_the_loss(capsys):
    names = [n.lower() for n in NAMES]
    trained = cm.model(names, IX_TO_CHAR, CHAR_TO_IX, num_iterations=600, n_a=20)
    again = cm.model(names, IX_TO_CHAR, CHAR_TO_IX, num_iterations=600, n_a=20)
    for k in trained:
        np.testing.assert_array_equal(trained[k], again[k])
        assert trained[k].shape == cm.initialize_parameters(20, 27, 27)[k].shape
    assert capsys.readouterr().out == ""  # quiet unless verbose
    initial = cm.initialize_parameters(20, 27, 27)
    assert _average_loss(trained, names) < 0.8 * _average_loss(initial, names)


def test_model_verbose_prints_loss_and_samples(capsys):
    cm.model(
        [n.lower() for n in NAMES],
        IX_TO_CHAR,
        CHAR_TO_IX,
        num_iterations=3,
        n_a=5,
        dino_names=2,
        verbose=True,
    )
    out = capsys.readouterr().out
    assert "Iteration: 0, Loss:" in out
    assert len([line for line in out.splitlines() if line.strip()]) == 3  # loss line and 2 names
