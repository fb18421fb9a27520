"""The logistic regression assignment: its hidden checks (cases, custom comparison) and its notebook.

The generic assignment tests (tests/assignments) run the notebook, the release and the mutants;
these tests pin what is specific to this topic: the families, the float bias of
initialize_with_zeros, the extra keys of model, the in-place check of optimize, the exact-0.5
family of predict, the lecture's boolean targets, and the notebook's layout.
"""

from __future__ import annotations

import time
import tomllib

import nbformat
import numpy as np
import pytest

from grader import plaindata
from grader.cases import all_checks, get_check
from grader.cases.logistic_regression import _PUBLIC_DIM
from grader.compare import compare
from grader.course import ASSIGNMENTS_DIR
from grader.hidden import run_check
from reference import logistic_regression as lr
from tests.assignments.harness import grade_id, hidden_calls, is_hidden_test, nbgrader_meta

NAME = "logistic_regression"
NOTEBOOK = ASSIGNMENTS_DIR / NAME / f"{NAME}.ipynb"
FUNCTIONS = (
    "sigmoid",
    "initialize_with_zeros",
    "propagate",
    "optimize",
    "predict",
    "model",
    "training_loss",
    "training_gradient",
)
SEEDS = tuple(range(10))
TOPIC = [c for c in all_checks() if c.name.startswith(f"{NAME}.")]


def _source() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


# ---------------------------------------------------------------------------------------------
# The check definitions


def test_every_graded_function_has_one_check_in_notebook_order():
    assert [c.function for c in TOPIC] == list(FUNCTIONS)
    assert [c.name for c in TOPIC] == [f"{NAME}.{f}" for f in FUNCTIONS]
    meta = tomllib.loads((NOTEBOOK.parent / "assignment.toml").read_text())
    assert [f["name"] for f in meta["functions"]] == list(FUNCTIONS)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_four_to_eight_cases_in_distinct_named_families(check_def):
    for seed in SEEDS:
        cases = check_def.make_cases(np.random.default_rng(seed))
        assert 4 <= len(cases) <= 8
        families = [c.family for c in cases]
        assert len(set(families)) == len(families)
        assert all(f and len(f) < 60 for f in families)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_the_reference_passes_its_own_check_for_many_seeds(check_def):
    for seed in SEEDS:
        report = run_check(check_def.name, check_def.reference, seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_every_family_changes_with_the_grading_seed(check_def):
    cases_by_seed = [check_def.make_cases(np.random.default_rng(seed)) for seed in SEEDS]
    again = check_def.make_cases(np.random.default_rng(SEEDS[0]))
    assert all(compare(a.args, b.args).passed for a, b in zip(cases_by_seed[0], again, strict=True))
    for index, case in enumerate(cases_by_seed[0]):
        inputs = (case.args, case.kwargs)
        assert not all(
            compare(inputs, (cases[index].args, cases[index].kwargs)).passed for cases in cases_by_seed[1:]
        ), case.family


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_case_inputs_and_outputs_are_plain_data(check_def):
    for case in check_def.make_cases(np.random.default_rng(21)):
        for value in (case.args, case.kwargs, check_def.expected(case)):
            tree, arrays = plaindata.encode(value)
            decoded = plaindata.decode(tree, arrays)
            assert "Unencodable" not in repr(decoded)
            assert compare(value, decoded).passed


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_computing_the_expected_output_leaves_the_case_unchanged(check_def):
    cases = check_def.make_cases(np.random.default_rng(31))
    before = [tuple(np.copy(a) if isinstance(a, np.ndarray) else a for a in c.args) for c in cases]
    for case in cases:
        check_def.expected(case)
    for case, args in zip(cases, before, strict=True):
        for a, b in zip(case.args, args, strict=True):
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, b)


def test_training_cases_are_fast():
    # optimize and model run in the sandbox under a 3 s call limit: their cases take milliseconds.
    for name in ("optimize", "model"):
        check_def = get_check(f"{NAME}.{name}")
        started = time.perf_counter()
        for case in check_def.make_cases(np.random.default_rng(5)):
            check_def.expected(case)
        assert time.perf_counter() - started < 1.0


def test_costs_stay_finite_and_labels_hold_both_classes():
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        for case in get_check(f"{NAME}.propagate").make_cases(rng):
            _grads, cost = lr.propagate(*case.args)
            assert np.isfinite(cost) and cost > 0
        for case in get_check(f"{NAME}.model").make_cases(rng):
            Y_train = case.args[1]
            assert 0 < Y_train.sum() < Y_train.size
            d = lr.model(*case.args, **case.kwargs)
            assert all(np.isfinite(c) for c in d["costs"])


def test_initialize_with_zeros_wants_a_float_bias():
    check = f"{NAME}.initialize_with_zeros"
    assert run_check(check, lambda dim: (np.zeros((dim, 1)), np.float64(0)), seed=1).passed
    report = run_check(check, lambda dim: (np.zeros((dim, 1)), 0), seed=1)
    assert report.n_passed == 0
    assert "b: is of type int; expected a Python float" in report.cases[0].message
    report = run_check(check, lambda dim: (np.zeros(dim), 0.0), seed=1)
    assert report.n_passed == 0 and "w: has shape (" in report.cases[0].message


def test_initialize_with_zeros_never_draws_the_public_dimension():
    for seed in range(200):
        for case in get_check(f"{NAME}.initialize_with_zeros").make_cases(np.random.default_rng(seed)):
            assert case.args[0] != _PUBLIC_DIM


@pytest.mark.parametrize("wrap", [float, np.float64, np.array], ids=["float", "float64", "0-d array"])
def test_sigmoid_of_a_number_may_be_any_float_like_scalar(wrap):
    def student(z):
        return wrap(1 / (1 + np.exp(-z))) if np.ndim(z) == 0 else 1 / (1 + np.exp(-z))

    assert run_check(f"{NAME}.sigmoid", student, seed=2).passed


def test_model_may_return_more_keys_but_not_fewer():
    check = f"{NAME}.model"
    assert run_check(check, lr.model, seed=4).passed  # learning_rate and num_iterations too

    def without_costs(*args, **kwargs):
        d = dict(lr.model(*args, **kwargs))
        del d["costs"]
        return d

    report = run_check(check, without_costs, seed=4)
    assert report.n_passed == 0 and 'missing key "costs"' in report.cases[0].message


def test_optimize_must_not_update_the_callers_w_in_place():
    check_def = get_check(f"{NAME}.optimize")
    case = check_def.make_cases(np.random.default_rng(0))[1]
    w = case.args[0].copy()
    params, _grads, _costs = lr.optimize(w, *case.args[1:], **case.kwargs)
    w[...] = params["w"]  # what `w -= learning_rate * dw` without the copy leaves behind
    assert not check_def.compare_inputs(case, (w, *case.args[1:])).passed
    assert check_def.compare_inputs(case, case.args).passed


def test_optimize_records_one_cost_per_hundred_iterations():
    for case in get_check(f"{NAME}.optimize").make_cases(np.random.default_rng(8)):
        _params, _grads, costs = lr.optimize(*case.args, **case.kwargs)
        assert len(costs) == (case.kwargs["num_iterations"] + 99) // 100


def test_predict_has_an_exact_one_half_family_and_rejects_booleans():
    check_def = get_check(f"{NAME}.predict")
    cases = {c.family: c for c in check_def.make_cases(np.random.default_rng(3))}
    w, b, X = cases["zero weights (probability exactly 0.5)"].args
    assert np.all(lr.sigmoid(np.dot(w.T, X) + b) == 0.5)
    report = run_check(check_def.name, lambda w, b, X: lr.predict(w, b, X) > 0.5, seed=3)
    assert (
        report.n_passed == 0 and "has dtype bool; expected floating-point values" in report.cases[0].message
    )


def test_the_lecture_cases_include_its_data_and_boolean_targets():
    cases = {c.family: c for c in get_check(f"{NAME}.training_gradient").make_cases(np.random.default_rng(6))}
    _weights, inputs, targets = cases["the lecture's toy data"].args
    np.testing.assert_array_equal(inputs, lr.LECTURE_INPUTS)
    np.testing.assert_array_equal(targets, lr.LECTURE_TARGETS)
    assert cases["boolean targets"].args[2].dtype == np.bool_
    assert not np.any(cases["zero weights"].args[0])


def test_the_reference_gradient_is_the_gradient_of_the_reference_loss():
    eps = 1e-6
    for case in get_check(f"{NAME}.training_gradient").make_cases(np.random.default_rng(9)):
        weights, inputs, targets = case.args
        numerical = np.array(
            [
                (
                    lr.training_loss(weights + eps * e, inputs, targets)
                    - lr.training_loss(weights - eps * e, inputs, targets)
                )
                / (2 * eps)
                for e in np.eye(len(weights))
            ]
        )
        np.testing.assert_allclose(
            lr.training_gradient(weights, inputs, targets), numerical, rtol=1e-6, atol=1e-6
        )


def test_the_lecture_run_matches_the_notebook():
    _weights, initial, trained = lr.train_lecture_model()
    assert initial == pytest.approx(4 * np.log(2))
    assert trained == pytest.approx(0.38900754315581143)
    assert "0.389007543156" in next(c.source for c in _source().cells if grade_id(c) == "lecture_training")


# ---------------------------------------------------------------------------------------------
# The notebook


def test_the_notebook_is_valid_and_laid_out_per_function():
    nb = _source()
    nbformat.validate(nb)
    assert nb.nbformat == 4 and nb.nbformat_minor >= 5 and nb.metadata.kernelspec.name == "python3"
    metas = [nbgrader_meta(c) for c in nb.cells if nbgrader_meta(c)]
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids)) and all(m["schema_version"] == 3 for m in metas)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert grade_id(code[0]) == "setup" and nbgrader_meta(code[0])["locked"]
    for function in FUNCTIONS:
        index = next(i for i, c in enumerate(code) if grade_id(c) == function)
        solution, public, hidden = code[index : index + 3]
        assert nbgrader_meta(solution)["solution"] and f"def {function}(" in solution.source
        assert solution.source.count("### BEGIN SOLUTION") == 1
        assert grade_id(public) == f"{function}_public_tests" and nbgrader_meta(public)["locked"]
        assert grade_id(hidden) == f"{function}_hidden_tests" and is_hidden_test(hidden)
        assert nb.cells[nb.cells.index(solution) - 1].cell_type == "markdown"
    assert [(g, c.name, c.function) for g, _p, c in hidden_calls(nb)] == [
        (f"{f}_hidden_tests", f"{NAME}.{f}", f) for f in FUNCTIONS
    ]


def test_given_cells_never_reach_the_repository_and_demonstrations_are_not_run_when_grading():
    for cell in _source().cells:
        if cell.cell_type != "code" or is_hidden_test(cell):
            continue
        assert "grader" not in cell.source and "reference" not in cell.source
        meta = nbgrader_meta(cell)
        if "model(train_set_x" in cell.source or "for _ in range(100)" in cell.source:
            # Training runs belong in cells grading skips (tagged public tests).
            assert meta["locked"] and "public-tests" in cell.metadata.get("tags", [])
        if (meta.get("grade_id") or "").endswith("_public_tests"):
            assert "import" not in cell.source and "passed" in cell.source
