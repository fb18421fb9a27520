"""The RNN assignment's hidden checks: their cases (families, sizes, isolated terms, caches from
real forward passes) and what they catch beyond the mutants of tests/assignments/rnn/mutants."""

from __future__ import annotations

import numpy as np
import pytest

from grader import plaindata
from grader.cases import all_checks, get_check
from grader.hidden import run_check
from reference import rnn

SEEDS = tuple(range(8))
TOPIC = [c for c in all_checks() if c.name.startswith("rnn.")]
FUNCTIONS = (
    "rnn_cell_forward",
    "rnn_forward",
    "lstm_cell_forward",
    "lstm_forward",
    "rnn_cell_backward",
    "rnn_backward",
    "lstm_cell_backward",
    "lstm_backward",
)


def _families(name: str, seed: int = 0) -> dict:
    return {c.family: c for c in get_check(name).make_cases(np.random.default_rng(seed))}


def test_every_function_has_one_check_in_notebook_order():
    assert [c.function for c in TOPIC] == list(FUNCTIONS)
    assert all(c.reference is getattr(rnn, c.function) for c in TOPIC)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_four_to_eight_cases_in_distinct_named_families(check_def):
    for seed in SEEDS:
        cases = check_def.make_cases(np.random.default_rng(seed))
        assert 4 <= len(cases) <= 8
        families = [c.family for c in cases]
        assert len(set(families)) == len(families)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_the_reference_passes_its_own_check_for_many_seeds(check_def):
    for seed in SEEDS:
        report = run_check(check_def.name, check_def.reference, seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_inputs_depend_on_the_seed_only_and_change_with_it(check_def):
    first = check_def.make_cases(np.random.default_rng(11))
    again = check_def.make_cases(np.random.default_rng(11))
    other = check_def.make_cases(np.random.default_rng(12))
    assert all(check_def.compare(a.args, b.args).passed for a, b in zip(first, again, strict=True))
    for a, b in zip(first, other, strict=True):
        assert not check_def.compare(a.args, b.args).passed, a.family


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_case_inputs_and_outputs_survive_plain_data(check_def):
    for case in check_def.make_cases(np.random.default_rng(21)):
        for value in (case.args, check_def.expected(case)):
            tree, arrays = plaindata.encode(value)
            decoded = plaindata.decode(tree, arrays)
            assert "Unencodable" not in repr(decoded)
            assert check_def.compare(value, decoded).passed


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_computing_the_expected_output_leaves_the_case_unchanged(check_def):
    cases = check_def.make_cases(np.random.default_rng(31))
    before = [plaindata.encode(c.args) for c in cases]
    for case in cases:
        check_def.expected(case)
    for case, (tree, arrays) in zip(cases, before, strict=True):
        assert check_def.compare(plaindata.decode(tree, arrays), case.args).passed


def test_sizes_cover_single_examples_single_steps_and_equal_input_and_state_sizes():
    seq = _families("rnn.rnn_forward")
    assert seq["single time step (T_x = 1)"].args[0].shape[2] == 1
    assert seq["single example (m = 1)"].args[0].shape[1] == 1
    assert seq["longer sequence"].args[0].shape[2] >= 9
    lstm = _families("rnn.lstm_cell_forward")
    xt, a_prev, _c_prev, _ = lstm["as many inputs as hidden units"].args
    assert xt.shape[0] == a_prev.shape[0]
    for seed in SEEDS:  # elsewhere n_x, n_a, n_y differ, so transposes and swaps cannot pass
        for case in get_check("rnn.rnn_cell_forward").make_cases(np.random.default_rng(seed)):
            xt, a_prev, p = case.args
            n_x, n_a, n_y = xt.shape[0], a_prev.shape[0], p["Wya"].shape[0]
            assert len({n_x, n_a, n_y}) == 3


def test_isolating_families_switch_the_other_terms_off():
    cell = _families("rnn.rnn_cell_forward")
    _, _, p = cell["zero weights (only the bias ba)"].args
    assert not np.any(p["Wax"]) and not np.any(p["Waa"]) and np.any(p["ba"])
    assert not np.any(cell["zero output weights (Wya = 0)"].args[2]["Wya"])
    assert not np.any(cell["zero previous state"].args[1])
    lstm = _families("rnn.lstm_cell_forward")
    p = lstm["zero gate weights (only the biases)"].args[3]
    assert not any(np.any(p[f"W{g}"]) for g in "fico")
    da, *_ = _families("rnn.rnn_backward")["gradient at the last step only"].args
    assert not np.any(da[:, :, :-1]) and np.any(da[:, :, -1])
    cell_b = _families("rnn.lstm_cell_backward")
    assert not np.any(cell_b["no memory gradient (dc_next = 0)"].args[1])
    assert not np.any(cell_b["no hidden-state gradient (da_next = 0)"].args[0])


def test_backward_caches_come_from_a_real_forward_pass():
    for case in get_check("rnn.rnn_cell_backward").make_cases(np.random.default_rng(4)):
        _da, (a_next, a_prev, xt, p) = case.args
        np.testing.assert_allclose(a_next, np.tanh(p["Wax"] @ xt + p["Waa"] @ a_prev + p["ba"]), rtol=1e-12)
    for case in get_check("rnn.rnn_backward").make_cases(np.random.default_rng(4)):
        _da, (steps, x) = case.args
        p = steps[0][3]
        a0 = steps[0][1]
        a, _, _ = rnn.rnn_forward(x, a0, p)
        for t, (a_next, a_prev, xt, _) in enumerate(steps):
            np.testing.assert_allclose(a_next, a[:, :, t], rtol=1e-12, atol=1e-15)
            np.testing.assert_array_equal(xt, x[:, :, t])
            if t:
                np.testing.assert_allclose(a_prev, a[:, :, t - 1], rtol=1e-12, atol=1e-15)
    for case in get_check("rnn.lstm_backward").make_cases(np.random.default_rng(4)):
        _da, (steps, x) = case.args
        a0, p = steps[0][2], steps[0][9]
        _, _, c, _ = rnn.lstm_forward(x, a0, p)
        assert not np.any(steps[0][3])  # the memory starts at zero
        for t, step in enumerate(steps):
            np.testing.assert_allclose(step[1], c[:, :, t], rtol=1e-12, atol=1e-15)


def test_sequence_caches_are_plain_contiguous_copies():
    _da, (steps, x) = _families("rnn.lstm_backward")["batch, several steps"].args
    assert x.flags.c_contiguous
    assert all(v.flags.c_contiguous for step in steps for v in step if isinstance(v, np.ndarray))


def _course_lstm_backward(da, caches):
    """The course notebook's lstm_backward: it never adds the da_prev of step t + 1."""
    steps, x = caches
    n_a, m, T_x = da.shape
    dx = np.zeros((x.shape[0], m, T_x))
    totals: dict = {}
    dc_prevt = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        g = rnn.lstm_cell_backward(da[:, :, t], dc_prevt, steps[t])
        dx[:, :, t] = g["dxt"]
        dc_prevt = g["dc_prev"]
        for key, value in g.items():
            if key.startswith(("dW", "db")):
                totals[key] = totals.get(key, 0) + value
    return {"dx": dx, "da0": g["da_prev"], **totals}


def test_the_course_notebooks_lstm_backward_loses_every_case_with_more_than_one_step():
    report = run_check("rnn.lstm_backward", _course_lstm_backward, seed=3)
    passed = {c.family for c in report.cases if c.passed}
    assert passed == {"single time step (T_x = 1)"}


def test_a_gradient_in_the_wrong_layout_is_named_in_the_feedback():
    def transposed(da_next, cache):
        g = rnn.rnn_cell_backward(da_next, cache)
        return {**g, "dWax": g["dWax"].T}

    report = run_check("rnn.rnn_cell_backward", transposed, seed=1)
    assert not report.passed
    assert 'gradients["dWax"]' in report.feedback()
