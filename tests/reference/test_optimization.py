"""reference.optimization: checks, torch's conventions, students' mistakes, mini-batch partition."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import optimization as opt
from reference.checks import run_check
from reference.checks.optimization import (
    check_adam_torch,
    check_mini_batch_partition,
    check_momentum_torch,
    check_rmsprop_torch,
    check_update_known_values,
    checks,
    course_case,
)


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


LAYER_KEYS = [("W1", "dW1"), ("b1", "db1"), ("W2", "dW2"), ("b2", "db2"), ("W3", "dW3"), ("b3", "db3")]


def _keys(parameters):
    return [pair for pair in LAYER_KEYS if pair[0] in parameters]


# --- torch's momentum differs from the course's in two documented ways -------------------------


def test_torch_default_momentum_buffer_differs_from_the_course():
    # torch starts the buffer at the first gradient; the course starts v at zero.
    assert check_momentum_torch(preset_zero_buffer=False) > 0.1
    # dampening = 1 - beta scales new gradients by beta instead of 1 - beta.
    assert check_momentum_torch(dampening=0.1) > 0.1
    # Pre-set zero buffer and dampening = beta: the same trajectory.
    assert check_momentum_torch() < 1e-12


def test_first_momentum_step_is_one_minus_beta_of_torchs_default():
    import torch

    params, grads = course_case()
    new, _ = opt.update_parameters_with_momentum(params, grads, opt.initialize_velocity(params), 0.9, 0.01)
    w = torch.tensor(params["W1"], requires_grad=True)
    sgd = torch.optim.SGD([w], lr=0.01, momentum=0.9, dampening=0.9)
    w.grad = torch.tensor(grads["dW1"])
    sgd.step()
    torch_step = w.detach().numpy() - params["W1"]
    np.testing.assert_allclose(new["W1"] - params["W1"], (1 - 0.9) * torch_step, rtol=1e-10)


def test_adam_matches_torchs_way_of_writing_the_bias_correction():
    params, grads = course_case()
    v, s = opt.initialize_adam(params)
    lr, b1, b2, eps = 0.02, 0.8, 0.888, 1e-2
    for t in (1, 2, 3):
        new, v, s, _, _ = opt.update_parameters_with_adam(params, grads, v, s, t, lr, b1, b2, eps)
        for key, gkey in _keys(params):
            step_size = lr / (1 - b1**t)
            denom = np.sqrt(s[gkey]) / np.sqrt(1 - b2**t) + eps
            np.testing.assert_allclose(new[key], params[key] - step_size * v[gkey] / denom, rtol=1e-14)
        params = new


# --- students' mistakes ------------------------------------------------------------------------


def test_momentum_without_one_minus_beta_is_caught():
    def wrong(parameters, grads, v, beta, learning_rate):
        new, vel = dict(parameters), dict(v)
        for key, gkey in _keys(parameters):
            vel[gkey] = beta * v[gkey] + grads[gkey]
            new[key] = parameters[key] - learning_rate * vel[gkey]
        return new, vel

    assert check_momentum_torch(update=wrong) > 1e-2
    assert check_update_known_values(momentum=wrong) > 1e-3


def _adam(correction_t):
    def adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
        new, v2, s2, vc, sc = dict(parameters), dict(v), dict(s), {}, {}
        tc = correction_t(t)
        for key, gkey in _keys(parameters):
            v2[gkey] = beta1 * v[gkey] + (1 - beta1) * grads[gkey]
            s2[gkey] = beta2 * s[gkey] + (1 - beta2) * grads[gkey] ** 2
            vc[gkey] = v2[gkey] / (1 - beta1**tc) if tc else v2[gkey]
            sc[gkey] = s2[gkey] / (1 - beta2**tc) if tc else s2[gkey]
            new[key] = parameters[key] - learning_rate * vc[gkey] / (np.sqrt(sc[gkey]) + epsilon)
        return new, v2, s2, vc, sc

    return adam


def test_adam_scaffold_is_faithful():
    assert check_adam_torch(update=_adam(lambda t: t)) < 1e-12


@pytest.mark.parametrize("correction_t", [lambda t: t + 1, lambda t: None], ids=["t+1", "no-correction"])
def test_adam_bias_correction_mistakes_are_caught(correction_t):
    wrong = _adam(correction_t)
    assert check_adam_torch(update=wrong) > 1e-3
    assert check_update_known_values(adam=wrong) > 1e-3


def test_rmsprop_with_epsilon_under_the_root_is_caught():
    """sqrt(s + eps) instead of sqrt(s) + eps.

    The two agree only where s >> eps; the relative change of a step is about 1 - sqrt(s / (s +
    eps)). RMSProp's s is (1 - beta) g^2 after one step, so with the default eps = 1e-8 and beta
    = 0.99 any gradient entry below ~1e-3 moves noticeably: on the checks' 3-layer net the worst
    entry's step changes by 12.5%, and the 8-step trajectories (eps 1e-8 and 1e-4) differ from
    torch by 0.21 relative, against a tolerance of 1e-12.
    """

    def wrong(parameters, grads, s, beta=0.99, learning_rate=0.01, epsilon=1e-8):
        new, s2 = dict(parameters), dict(s)
        for key, gkey in _keys(parameters):
            s2[gkey] = beta * s[gkey] + (1 - beta) * grads[gkey] ** 2
            new[key] = parameters[key] - learning_rate * grads[gkey] / np.sqrt(s2[gkey] + epsilon)
        return new, s2

    assert check_rmsprop_torch(update=wrong) > 1e-2


def test_mini_batches_that_drop_the_short_last_batch_are_caught():
    def wrong(X, Y, mini_batch_size=64, seed=0):
        return opt.random_mini_batches(X, Y, mini_batch_size, seed)[: X.shape[1] // mini_batch_size]

    assert check_mini_batch_partition(wrong) == 1.0


def test_mini_batches_shuffled_with_another_generator_are_caught():
    def wrong(X, Y, mini_batch_size=64, seed=0):
        perm = np.random.default_rng(seed).permutation(X.shape[1])
        m, k = X.shape[1], mini_batch_size
        return [(X[:, perm[i : i + k]], Y[:, perm[i : i + k]]) for i in range(0, m, k)]

    assert check_mini_batch_partition(wrong) == 1.0


# --- behaviour ---------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [0, -1])
def test_adam_rejects_a_step_counter_below_one(t):
    params, grads = course_case()
    v, s = opt.initialize_adam(params)
    with pytest.raises(ValueError, match="t starts at 1"):
        opt.update_parameters_with_adam(params, grads, v, s, t)


def test_mini_batch_size_below_one_is_rejected():
    with pytest.raises(ValueError, match="mini_batch_size"):
        opt.random_mini_batches(np.zeros((2, 5)), np.zeros((1, 5)), 0)


def test_random_mini_batches_reseeds_the_global_generator_like_the_course():
    X, Y = np.arange(20.0).reshape(2, 10), np.arange(10.0).reshape(1, 10)
    np.random.seed(123)
    opt.random_mini_batches(X, Y, 4, seed=7)
    after = np.random.rand()
    np.random.seed(7)
    np.random.permutation(10)
    assert after == np.random.rand()


def test_updates_work_for_any_depth_and_keep_other_entries():
    rng = np.random.default_rng(0)
    dims = [3, 4, 2, 2, 1]
    params = {}
    for layer in range(1, len(dims)):
        params[f"W{layer}"] = rng.standard_normal((dims[layer], dims[layer - 1]))
        params[f"b{layer}"] = rng.standard_normal((dims[layer], 1))
    grads = {"d" + k: rng.standard_normal(v.shape) for k, v in params.items()}
    new = opt.update_parameters_with_gd(params, grads, 0.1)
    for key in params:
        np.testing.assert_allclose(new[key], params[key] - 0.1 * grads["d" + key])
    assert len(opt.initialize_velocity(params)) == 8
    s = opt.initialize_rmsprop(params)
    new, s = opt.update_parameters_with_rmsprop(params, grads, s)
    assert set(new) == set(params) and set(s) == {"d" + k for k in params}


def test_no_update_mutates_its_inputs():
    params, grads = course_case()
    v, s = opt.initialize_adam(params)
    vel = opt.initialize_velocity(params)
    rms = opt.initialize_rmsprop(params)
    # Non-zero state, so that an in-place update would show.
    v = {k: x + 0.1 for k, x in v.items()}
    s = {k: x + 0.2 for k, x in s.items()}
    vel = {k: x + 0.3 for k, x in vel.items()}
    rms = {k: x + 0.4 for k, x in rms.items()}
    everything = (params, grads, v, s, vel, rms)
    before = copy.deepcopy(everything)
    opt.update_parameters_with_gd(params, grads, 0.1)
    opt.update_parameters_with_momentum(params, grads, vel, 0.9, 0.1)
    opt.update_parameters_with_adam(params, grads, v, s, 3)
    opt.update_parameters_with_rmsprop(params, grads, rms)
    X, Y = np.arange(12.0).reshape(2, 6), np.ones((1, 6))
    X0, Y0 = X.copy(), Y.copy()
    opt.random_mini_batches(X, Y, 4)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    for got, want in zip(everything, before, strict=True):
        assert got.keys() == want.keys()
        for key in want:
            np.testing.assert_array_equal(got[key], want[key])


def test_learning_rate_decays_are_floats():
    assert type(opt.update_lr(0.5, 2, 1)) is float
    assert type(opt.schedule_lr_decay(0.5, 100, 1, 100)) is float
    assert opt.schedule_lr_decay(0.5, 999, 1) == 0.5  # default interval 1000
    assert opt.schedule_lr_decay(0.5, 1000, 1) == 0.25


# --- Hypothesis ---------------------------------------------------------------------------------


@given(st.integers(1, 300), st.integers(1, 70), st.integers(0, 10_000))
def test_mini_batches_partition_the_columns(m, size, seed):
    X = np.vstack([np.arange(m, dtype=np.float64), np.arange(m, dtype=np.float64) ** 2])
    Y = (np.arange(m) % 2 == 0).reshape(1, m)
    batches = opt.random_mini_batches(X, Y, size, seed)
    sizes = [b[0].shape[1] for b in batches]
    assert sizes[: m // size] == [size] * (m // size)
    assert len(batches) == m // size + (1 if m % size else 0)
    if m % size:
        assert sizes[-1] == m % size
    columns = np.concatenate([b[0][0] for b in batches]).astype(int)
    assert sorted(columns) == list(range(m))  # every column exactly once
    for bx, by in batches:
        np.testing.assert_array_equal(bx[1], bx[0] ** 2)  # rows of a column stay together
        np.testing.assert_array_equal(by[0], bx[0].astype(int) % 2 == 0)  # and its label
        assert by.dtype == np.bool_


@given(st.floats(0.01, 10), st.integers(0, 5000), st.floats(0, 5), st.integers(1, 1000))
def test_schedule_is_constant_within_an_interval(lr0, epoch, decay, interval):
    start = (epoch // interval) * interval
    assert opt.schedule_lr_decay(lr0, epoch, decay, interval) == opt.schedule_lr_decay(
        lr0, start, decay, interval
    )
    assert opt.schedule_lr_decay(lr0, epoch, decay, interval) == opt.update_lr(lr0, epoch // interval, decay)
