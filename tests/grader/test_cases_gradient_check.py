"""The gradient-checking assignment's hidden checks: case families, the planted-bug backward pass,
and gradient_check_n's comparer (correct gradients give noise, wrong ones a maths-decided value)."""

from __future__ import annotations

import numpy as np
import pytest

from grader import plaindata
from grader.cases import all_checks, get_check
from grader.cases.gradient_check import DIFFERENCE_FLOOR, compare_difference
from grader.hidden import run_check
from reference import gradient_check as gc
from reference.checks.gradient_check import course_buggy_backward_n

TOPIC = [c for c in all_checks() if c.name.startswith("gradient_check.")]
SEEDS = range(10)
STUDENT_API = {
    "forward_propagation": gc.forward_propagation,
    "backward_propagation": gc.backward_propagation,
    "gradient_check": gc.gradient_check,
    "forward_propagation_n": gc.forward_propagation_n,
    "backward_propagation_n": gc.backward_propagation_n,
    "gradient_check_n": gc.gradient_check_n,
}


def test_one_check_per_graded_function():
    assert [c.function for c in TOPIC] == list(STUDENT_API)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_four_to_eight_cases_in_distinct_families(check_def):
    for seed in SEEDS:
        cases = check_def.make_cases(np.random.default_rng(seed))
        assert 4 <= len(cases) <= 8
        assert len({c.family for c in cases}) == len(cases)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_the_reference_passes_for_many_seeds(check_def):
    for seed in range(15):
        report = run_check(check_def.name, STUDENT_API[check_def.function], seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_inputs_and_outputs_survive_plain_data(check_def):
    for case in check_def.make_cases(np.random.default_rng(3)):
        for value in (case.args, case.kwargs, check_def.expected(case)):
            tree, arrays = plaindata.encode(value)
            decoded = plaindata.decode(tree, arrays)
            assert "Unencodable" not in repr(decoded)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_inputs_vary_with_the_seed(check_def):
    first = check_def.make_cases(np.random.default_rng(1))
    other = check_def.make_cases(np.random.default_rng(2))
    for a, b in zip(first, other, strict=True):
        assert not check_def.compare(a.args, b.args).passed, a.family


# ---------------------------------------------------------------------------------------------
# The 1-D check compares rounding noise exactly: a constant cannot pass


@pytest.mark.parametrize("constant", [0.0, 1e-10, 2.9e-10])
def test_gradient_check_rejects_a_constant(constant):
    for seed in SEEDS:
        report = run_check("gradient_check.gradient_check", lambda *a, **k: constant, seed=seed)
        assert report.n_passed <= 1, report.feedback()


# ---------------------------------------------------------------------------------------------
# The 3-layer net


def test_the_planted_bugs_fail_backward_propagation_n():
    for seed in SEEDS:
        report = run_check("gradient_check.backward_propagation_n", course_buggy_backward_n, seed=seed)
        assert report.n_passed <= 1, report.feedback()


def test_gradient_check_n_families_mean_what_they_say():
    check_def = get_check("gradient_check.gradient_check_n")
    for seed in range(20):
        for case in check_def.make_cases(np.random.default_rng(seed)):
            difference = check_def.expected(case)
            assert isinstance(difference, float)
            if case.family.startswith("correct"):
                assert difference < 1e-8, (seed, case.family, difference)
            else:
                assert difference > 1e-3, (seed, case.family, difference)


@pytest.mark.parametrize("constant", [0.0, 1e-9, 0.3, 1.0])
def test_gradient_check_n_rejects_any_constant(constant):
    for seed in SEEDS:
        report = run_check("gradient_check.gradient_check_n", lambda *a, **k: constant, seed=seed)
        assert report.n_passed <= len(report.cases) // 2, report.feedback()


def _gradient_check_n_with_logit_cost(parameters, gradients, X, Y, epsilon=1e-7, print_msg=False):
    """A correct checker whose cost is written differently (from the logits): other noise."""
    theta, _ = gc.dictionary_to_vector(parameters)
    shapes = {k: parameters[k].shape for k in ("W1", "b1", "W2", "b2", "W3", "b3")}
    grad = gc.gradients_to_vector(gradients)

    def cost(vector):
        p = gc.vector_to_dictionary(vector, shapes)
        A1 = np.maximum(p["W1"] @ X + p["b1"], 0)
        A2 = np.maximum(p["W2"] @ A1 + p["b2"], 0)
        Z3 = p["W3"] @ A2 + p["b3"]
        return float(np.mean(np.logaddexp(0, -Z3) * Y + np.logaddexp(0, Z3) * (1 - Y)))

    approx = np.zeros_like(theta)
    for i in range(theta.shape[0]):
        step = np.zeros_like(theta)
        step[i] = epsilon
        approx[i] = (cost(theta + step) - cost(theta - step)) / (2 * epsilon)
    return np.linalg.norm(grad - approx) / (np.linalg.norm(grad) + np.linalg.norm(approx))


def test_gradient_check_n_accepts_a_correct_checker_with_other_rounding():
    for seed in SEEDS:
        report = run_check("gradient_check.gradient_check_n", _gradient_check_n_with_logit_cost, seed=seed)
        assert report.passed, report.feedback()


def test_compare_difference():
    assert compare_difference(0.25, 0.25 * (1 + 5e-5)).passed
    assert not compare_difference(0.25, 0.25 * (1 + 5e-3)).passed
    assert compare_difference(1e-10, 1e-10 + DIFFERENCE_FLOOR / 2).passed
    assert compare_difference(1e-10, np.float64(3e-10)).passed
    assert compare_difference(1e-10, np.array(3e-10)).passed
    assert not compare_difference(0.25, np.array([0.25])).passed
    assert not compare_difference(1e-10, -1e-10).passed
    assert not compare_difference(0.25, float("nan")).passed
    assert not compare_difference(0.25, "0.25").passed
