"""The optimization assignment's hidden checks: case families, the reference, the mini-batch comparer."""

from __future__ import annotations

import numpy as np
import pytest

from grader.cases import all_checks, get_check
from grader.cases.optimization import compare_mini_batches
from grader.hidden import run_check
from reference import optimization as opt

SEEDS = range(8)
TOPIC = [c for c in all_checks() if c.name.startswith("optimization.")]
FUNCTIONS = (
    "update_parameters_with_gd",
    "random_mini_batches",
    "initialize_velocity",
    "update_parameters_with_momentum",
    "initialize_rmsprop",
    "update_parameters_with_rmsprop",
    "initialize_adam",
    "update_parameters_with_adam",
    "update_lr",
    "schedule_lr_decay",
)


def test_one_check_per_graded_function_in_notebook_order():
    assert [c.function for c in TOPIC] == list(FUNCTIONS)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_four_to_eight_cases_in_distinct_named_families(check_def):
    for seed in SEEDS:
        cases = check_def.make_cases(np.random.default_rng(seed))
        assert 4 <= len(cases) <= 8
        families = [c.family for c in cases]
        assert len(set(families)) == len(families)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_the_reference_passes_for_many_seeds(check_def):
    reference = getattr(opt, check_def.function)
    for seed in SEEDS:
        report = run_check(check_def.name, reference, seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_cases_depend_on_the_seed(check_def):
    first = check_def.make_cases(np.random.default_rng(5))
    again = check_def.make_cases(np.random.default_rng(5))
    assert [repr(c) for c in first] == [repr(c) for c in again]
    other = check_def.make_cases(np.random.default_rng(6))
    assert [repr(c) for c in first] != [repr(c) for c in other]


def _batches_case(seed: int = 3):
    check = get_check("optimization.random_mini_batches")
    case = check.make_cases(np.random.default_rng(seed))[0]  # the "short last batch" family
    assert case.family == "short last batch"
    return check, case, check.expected(case)


def test_mini_batches_accepts_the_course_answer_and_names_each_mistake():
    check, case, expected = _batches_case()
    X, Y, size, seed = case.args
    right = opt.random_mini_batches(X, Y, size, seed)
    assert check.compare(expected, right).passed

    dropped = right[:-1]
    verdict = check.compare(expected, dropped)
    assert not verdict.passed and "short mini-batch is missing" in verdict.message

    np.random.seed(seed)
    perm_x, perm_y = np.random.permutation(X.shape[1]), np.random.permutation(X.shape[1])
    m = X.shape[1]
    k = m // size
    separate = [
        (X[:, perm_x][:, i * size : (i + 1) * size], Y[:, perm_y][:, i * size : (i + 1) * size])
        for i in range(k)
    ]
    separate.append((X[:, perm_x][:, k * size :], Y[:, perm_y][:, k * size :]))
    # Y is 0/1 here: the pairing shows on the first column whose label differs.
    verdict = compare_mini_batches(expected, separate)
    assert not verdict.passed

    unshuffled = opt.random_mini_batches(X, Y, size, seed)
    unshuffled = [(X[:, i * size : (i + 1) * size], Y[:, i * size : (i + 1) * size]) for i in range(k)]
    unshuffled.append((X[:, k * size :], Y[:, k * size :]))
    verdict = compare_mini_batches(expected, unshuffled)
    assert not verdict.passed and "another order" in verdict.message

    verdict = compare_mini_batches(expected, [(b_x.T, b_y) for b_x, b_y in right])
    assert not verdict.passed and "shape" in verdict.message


def test_mini_batches_pairing_is_checked_with_real_valued_targets():
    check = get_check("optimization.random_mini_batches")
    case = next(c for c in check.make_cases(np.random.default_rng(1)) if c.family == "real-valued targets")
    X, Y, size, seed = case.args
    expected = check.expected(case)
    right = opt.random_mini_batches(X, Y, size, seed)
    swapped = [(b_x, b_y[:, ::-1]) for b_x, b_y in right]
    verdict = compare_mini_batches(expected, swapped)
    assert not verdict.passed and "move together" in verdict.message


def test_mini_batches_rejects_duplicates_and_non_lists():
    _, case, expected = _batches_case()
    X, Y, size, seed = case.args
    right = opt.random_mini_batches(X, Y, size, seed)
    duplicated = [right[0], right[0], *right[2:]] if len(right) > 2 else [right[0], right[0]]
    if len(right) == len(duplicated):
        assert not compare_mini_batches(expected, duplicated).passed
    assert not compare_mini_batches(expected, None).passed
    assert not compare_mini_batches(expected, [(1, 2)] * len(right)).passed


def test_the_adam_cases_expose_a_wrong_step_counter_and_epsilon_under_the_root():
    def shifted(parameters, grads, v, s, t, *args, **kwargs):
        return opt.update_parameters_with_adam(parameters, grads, v, s, t + 1, *args, **kwargs)

    report = run_check("optimization.update_parameters_with_adam", shifted, seed=0)
    assert report.n_passed <= 1, report.feedback()

    def under_root(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8):
        out = opt.update_parameters_with_adam(parameters, grads, v, s, t, learning_rate, beta1, beta2, 0.0)
        new, v1, s1, vc, sc = out
        new = dict(parameters)
        for key in parameters:
            new[key] = parameters[key] - learning_rate * vc["d" + key] / np.sqrt(sc["d" + key] + epsilon)
        return new, v1, s1, vc, sc

    report = run_check("optimization.update_parameters_with_adam", under_root, seed=0)
    assert not report.passed
    failed = {c.family for c in report.cases if not c.passed}
    assert {"large epsilon", "tiny gradients"} <= failed
