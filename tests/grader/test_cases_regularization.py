"""The regularization assignment's hidden checks: case families, and the dropout comparer, which
judges invariants (masks from the student's own cache) rather than exact random draws."""

from __future__ import annotations

import numpy as np
import pytest

from grader import plaindata
from grader.cases import all_checks, get_check
from grader.cases.regularization import CACHE_NAMES, compare_dropout_forward
from grader.hidden import run_check
from reference import regularization as reg
from reference.checks.regularization import forward_with_masks

TOPIC = [c for c in all_checks() if c.name.startswith("regularization.")]
SEEDS = range(10)
FORWARD = "regularization.forward_propagation_with_dropout"
STUDENT_API = {
    "compute_cost_with_regularization": reg.compute_cost_with_regularization,
    "backward_propagation_with_regularization": reg.backward_propagation_with_regularization,
    "forward_propagation_with_dropout": reg.forward_propagation_with_dropout,
    "backward_propagation_with_dropout": reg.backward_propagation_with_dropout,
}


def test_one_check_per_graded_function():
    assert [c.function for c in TOPIC] == list(STUDENT_API)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_four_to_eight_cases_in_distinct_families_that_vary_with_the_seed(check_def):
    drawn = [check_def.make_cases(np.random.default_rng(seed)) for seed in SEEDS]
    for cases in drawn:
        assert 4 <= len(cases) <= 8
        assert len({c.family for c in cases}) == len(cases)
    for index in range(len(drawn[0])):
        shapes = {
            tuple(np.shape(a) for a in cases[index].args if isinstance(a, np.ndarray)) for cases in drawn
        }
        if drawn[0][index].family != "single example":
            assert len(shapes) > 1, drawn[0][index].family


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_the_reference_passes_for_many_seeds(check_def):
    for seed in range(25):
        report = run_check(check_def.name, STUDENT_API[check_def.function], seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_inputs_survive_plain_data(check_def):
    for case in check_def.make_cases(np.random.default_rng(5)):
        tree, arrays = plaindata.encode(case.args)
        decoded = plaindata.decode(tree, arrays)
        assert "Unencodable" not in repr(decoded)


def test_backward_caches_come_from_a_real_forward_pass():
    for case in get_check("regularization.backward_propagation_with_dropout").make_cases(
        np.random.default_rng(1)
    ):
        X, _Y, cache, keep_prob = case.args
        Z1, D1, A1, W1, b1 = cache[:5]
        np.testing.assert_allclose(Z1, W1 @ X + b1, rtol=1e-12)
        np.testing.assert_allclose(A1, np.maximum(Z1, 0) * D1 / keep_prob, rtol=1e-12)
        assert set(np.unique(D1)) <= {0.0, 1.0}
    for case in get_check("regularization.backward_propagation_with_regularization").make_cases(
        np.random.default_rng(1)
    ):
        X, _Y, cache, _lambd = case.args
        np.testing.assert_allclose(cache[0], cache[2] @ X + cache[3], rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# The dropout forward check: any correct implementation passes, typical mistakes do not


def _course_style(X, parameters, keep_prob=0.5):
    """The course's version: seeds numpy inside, integer masks."""
    np.random.seed(1)
    Z1 = parameters["W1"] @ X + parameters["b1"]
    D1 = (np.random.rand(*Z1.shape) < keep_prob).astype(int)
    A1 = np.maximum(Z1, 0) * D1 / keep_prob
    Z2 = parameters["W2"] @ A1 + parameters["b2"]
    D2 = (np.random.rand(*Z2.shape) < keep_prob).astype(int)
    A2 = np.maximum(Z2, 0) * D2 / keep_prob
    Z3 = parameters["W3"] @ A2 + parameters["b3"]
    A3 = 1 / (1 + np.exp(-Z3))
    W1, b1, W2, b2, W3, b3 = (parameters[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def _with_masks(draw):
    """A forward pass whose masks come from ``draw(shape, keep_prob)`` (any dtype)."""

    def forward(X, parameters, keep_prob=0.5):
        n_1, n_2, m = parameters["W1"].shape[0], parameters["W2"].shape[0], X.shape[1]
        D1, D2 = draw((n_1, m), keep_prob), draw((n_2, m), keep_prob)
        A3, cache = forward_with_masks(X, parameters, D1, D2, keep_prob)
        return A3, cache

    return forward


@pytest.mark.parametrize(
    "function",
    [
        _course_style,
        _with_masks(lambda shape, p: np.random.rand(*shape) < p),  # boolean masks
        _with_masks(lambda shape, p: np.random.binomial(1, p, size=shape)),
        _with_masks(lambda shape, p: (np.random.default_rng().random(shape) < p).astype(np.float32)),
    ],
    ids=["course-seeded-int", "bool", "binomial", "float32-generator"],
)
def test_correct_implementations_of_any_style_pass(function):
    for seed in SEEDS:
        report = run_check(FORWARD, function, seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize(
    ("draw", "fails_at_least"),
    [
        (lambda shape, p: np.random.randn(*shape) < p, 2),  # randn instead of rand
        (lambda shape, p: np.random.rand(*shape) > p, 3),  # > instead of <
        (lambda shape, p: np.ones(shape), 4),  # nothing dropped
        (lambda shape, p: np.random.rand(*shape) < 0.5, 3),  # keep_prob ignored
    ],
    ids=["randn", "greater-than", "no-dropout", "fixed-half"],
)
def test_wrong_masks_fail_through_the_kept_share(draw, fails_at_least):
    for seed in SEEDS:
        report = run_check(FORWARD, _with_masks(draw), seed=seed)
        failed = len(report.cases) - report.n_passed
        assert failed >= fails_at_least, report.feedback()
        assert all("far from keep_prob" in c.message for c in report.cases if not c.passed)


def test_missing_scaling_is_caught_with_a_hint():
    def unscaled(X, parameters, keep_prob=0.5):
        n_1, n_2, m = parameters["W1"].shape[0], parameters["W2"].shape[0], X.shape[1]
        D1 = (np.random.rand(n_1, m) < keep_prob).astype(float)
        D2 = (np.random.rand(n_2, m) < keep_prob).astype(float)
        return forward_with_masks(X, parameters, D1, D2, 1.0)

    report = run_check(FORWARD, unscaled, seed=2)
    failed = [c for c in report.cases if not c.passed]
    assert len(failed) == len(report.cases) - 1  # only keep_prob = 1 passes
    assert any("without the division by keep_prob" in c.message for c in failed)


def test_the_comparer_rejects_malformed_outputs_with_messages():
    case = get_check(FORWARD).make_cases(np.random.default_rng(0))[0]
    expected = get_check(FORWARD).expected(case)
    A3, cache = reg.forward_propagation_with_dropout(*case.args)
    assert compare_dropout_forward(expected, (A3, cache)).passed
    for actual, words in [
        (None, "expected a tuple of 2 values"),
        ((A3,), "expected a tuple of 2 values"),
        ((A3, cache[:12]), "expected a tuple of 14 values"),
        ((A3, (*cache[:1], cache[1] * 0.5, *cache[2:])), "values other than 0 and 1"),
        ((A3, (*cache[:1], cache[1].T, *cache[2:])), "(D1) has shape"),
        ((A3, (*cache[:6], "mask", *cache[7:])), "(D2) is a str"),
        ((A3 + 0.1, cache), "A3"),
    ]:
        verdict = compare_dropout_forward(expected, actual)
        assert not verdict.passed
        assert words in verdict.message, verdict.message


def test_cache_names_follow_the_reference_layout():
    assert len(CACHE_NAMES) == 14 and CACHE_NAMES[1] == "D1" and CACHE_NAMES[6] == "D2"


def test_a_correct_implementation_almost_never_fails_the_keep_share():
    # 5 binomial standard deviations: over 300 gradings of 6 cases, no failure expected.
    for seed in range(300):
        report = run_check(FORWARD, reg.forward_propagation_with_dropout, seed=1000 + seed)
        assert report.passed, report.feedback()
