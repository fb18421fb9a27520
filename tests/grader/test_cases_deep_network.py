"""The deep network assignment: its hidden checks, its source notebook and student-like mistakes.

The notebook runs in-process here (cells in order, a failing cell does not stop the rest, as in
the sandbox); hidden checks are scored with ``run_check`` on the functions the cells defined.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib

import nbformat
import numpy as np
import pytest

from grader import hidden, plaindata
from grader.cases import all_checks, get_check
from grader.cases.deep_network import _PUBLIC_DEEP, _PUBLIC_SHALLOW
from grader.hidden import run_check
from reference import deep_network as dn
from tests.grader.mutants import (
    ASSIGNMENT_TOML,
    DEPENDS_ON,
    FUNCTIONS,
    NOTEBOOK,
    execute,
    grade,
    grade_id,
    hidden_calls,
    is_hidden_test,
    mutant_files,
    mutant_target,
    nbgrader_meta,
    released_notebook,
    source_notebook,
    with_mutant,
)

SEEDS = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9)
TOPIC = [c for c in all_checks() if c.name.startswith("deep_network.")]


# ---------------------------------------------------------------------------------------------
# The check definitions


def test_every_function_of_the_assignment_has_one_check():
    assert [c.function for c in TOPIC] == list(FUNCTIONS)
    assert [c.name for c in TOPIC] == [f"deep_network.{f}" for f in FUNCTIONS]
    assert all(get_check(c.name) is c for c in TOPIC)


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
    reference = check_def.reference
    for seed in SEEDS:
        report = run_check(check_def.name, reference, seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_cases_depend_on_the_seed_only(check_def):
    first = check_def.make_cases(np.random.default_rng(11))
    again = check_def.make_cases(np.random.default_rng(11))
    other = check_def.make_cases(np.random.default_rng(12))
    assert all(check_def.compare(a.args, b.args).passed for a, b in zip(first, again, strict=True))
    assert not all(
        len(a.args) == len(b.args) and check_def.compare(a.args, b.args).passed
        for a, b in zip(first, other, strict=False)
    )


def _shapes(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.shape
    if isinstance(value, dict):
        return tuple((k, _shapes(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return tuple(_shapes(v) for v in value)
    return value if isinstance(value, int) else None


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_inputs_and_sizes_vary_with_the_grading_seed(check_def):
    # A hard-coded answer cannot pass: every family's inputs change from seed to seed, and the
    # shapes of most families too (a single example of compute_cost is always (1, 1)).
    cases_by_seed = [check_def.make_cases(np.random.default_rng(seed)) for seed in SEEDS]
    varying_shapes = 0
    for index in range(len(cases_by_seed[0])):
        family = cases_by_seed[0][index].family
        first = cases_by_seed[0][index].args
        assert not all(check_def.compare(first, cases[index].args).passed for cases in cases_by_seed[1:]), (
            family
        )
        varying_shapes += len({_shapes(cases[index].args) for cases in cases_by_seed}) > 1
    assert varying_shapes >= len(cases_by_seed[0]) - 1


def test_initializer_cases_never_use_the_public_example_sizes():
    for seed in range(200):
        rng = np.random.default_rng(seed)
        for case in get_check("deep_network.initialize_parameters").make_cases(rng):
            assert case.args != _PUBLIC_SHALLOW
        for case in get_check("deep_network.initialize_parameters_deep").make_cases(rng):
            assert case.args[0] != _PUBLIC_DEEP


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_case_inputs_and_outputs_are_plain_data(check_def):
    # What the engine sends into the sandbox and compares outside must survive plaindata intact.
    for case in check_def.make_cases(np.random.default_rng(21)):
        for value in (case.args, case.kwargs, check_def.expected(case)):
            tree, arrays = plaindata.encode(value)
            decoded = plaindata.decode(tree, arrays)
            assert "Unencodable" not in repr(decoded)
            assert check_def.compare(value, decoded).passed if value is not case.kwargs else decoded == {}


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


def test_backward_caches_come_from_a_real_forward_pass():
    for case in get_check("deep_network.linear_activation_backward").make_cases(np.random.default_rng(4)):
        _dA, ((A_prev, W, b), Z), _activation = case.args
        np.testing.assert_allclose(Z, W @ A_prev + b, rtol=1e-12, atol=1e-12)
    for case in get_check("deep_network.L_model_backward").make_cases(np.random.default_rng(4)):
        AL, Y, caches = case.args
        assert Y.shape == AL.shape and set(np.unique(Y)) <= {0, 1}
        (_A_prev, W_last, b_last), Z_last = caches[-1][0], caches[-1][1]
        np.testing.assert_allclose(AL, 1 / (1 + np.exp(-(W_last @ caches[-1][0][0] + b_last))), rtol=1e-12)
        np.testing.assert_allclose(Z_last, W_last @ caches[-1][0][0] + b_last, rtol=1e-12)


def test_isolating_families_switch_one_term_off():
    cases = {
        c.family: c for c in get_check("deep_network.linear_forward").make_cases(np.random.default_rng(2))
    }
    assert not np.any(cases["zero weights (only the bias)"].args[1])
    assert not np.any(cases["zero bias"].args[2])
    assert cases["single example"].args[0].shape[1] == 1


@pytest.mark.parametrize(
    "wrap",
    [float, np.float64, np.array, lambda v: np.array([[v]]).squeeze()],
    ids=["float", "float64", "0-d", "squeezed"],
)
def test_compute_cost_accepts_any_float_like_scalar(wrap):
    report = run_check("deep_network.compute_cost", lambda AL, Y: wrap(dn.compute_cost(AL, Y)), seed=3)
    assert report.passed, report.feedback()


def test_compute_cost_rejects_a_one_by_one_array():
    report = run_check(
        "deep_network.compute_cost", lambda AL, Y: np.array([[dn.compute_cost(AL, Y)]]), seed=3
    )
    assert report.n_passed == 0
    assert "is an array of shape (1, 1); expected a single number" in report.cases[0].message


def test_in_place_updates_pass_the_output_comparison_but_not_the_input_check():
    # The engine gets the output back from the sandbox; catching an in-place update also needs the
    # arguments as the call left them (CheckDef.compare_inputs), which run_check has in-process.
    check_def = get_check("deep_network.update_parameters")
    (case, *_rest) = check_def.make_cases(np.random.default_rng(0))
    parameters, grads, rate = (v.copy() if isinstance(v, dict) else v for v in case.args)
    for key in list(parameters):
        parameters[key] = parameters[key].copy()
        parameters[key] -= rate * grads["d" + key]
    assert check_def.compare(check_def.expected(case), parameters).passed
    assert not check_def.compare_inputs(case, (parameters, grads, rate)).passed
    assert check_def.compare_inputs(case, case.args).passed


# ---------------------------------------------------------------------------------------------
# The source notebook and its metadata


def test_the_notebook_is_valid_nbformat_4_with_nbgrader_schema_3():
    nb = source_notebook()
    nbformat.validate(nb)
    assert nb.nbformat == 4
    metas = [nbgrader_meta(c) for c in nb.cells if nbgrader_meta(c)]
    assert metas and all(m["schema_version"] == 3 for m in metas)
    ids = [m["grade_id"] for m in metas]
    assert len(ids) == len(set(ids))
    assert nb.metadata.kernelspec.name == "python3"


def test_each_function_has_a_solution_then_public_tests_then_hidden_tests():
    nb = source_notebook()
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert grade_id(code[0]) == "setup" and nbgrader_meta(code[0])["locked"]
    triples = [code[i : i + 3] for i in range(1, len(code), 3)]
    assert len(triples) == len(FUNCTIONS)
    for function, (solution, public, graded) in zip(FUNCTIONS, triples, strict=True):
        assert grade_id(solution) == function
        assert nbgrader_meta(solution)["solution"] and not nbgrader_meta(solution)["grade"]
        assert solution.source.count("### BEGIN SOLUTION") == 1 and f"def {function}(" in solution.source
        assert grade_id(public) == f"{function}_public_tests"
        meta = nbgrader_meta(public)
        assert meta["locked"] and not meta["grade"] and not meta["solution"]
        assert grade_id(graded) == f"{function}_hidden_tests"
        meta = nbgrader_meta(graded)
        assert meta["locked"] and meta["grade"] and not meta["solution"] and meta["points"] > 0


def test_public_tests_are_self_contained():
    for cell in source_notebook().cells:
        if (grade_id(cell) or "").endswith("_public_tests"):
            assert "import" not in cell.source
            assert "grader" not in cell.source and "reference" not in cell.source
            assert "passed" in cell.source


def test_hidden_cells_hold_only_the_hidden_block_with_one_check():
    calls = hidden_calls(source_notebook())
    assert [(g, c.name, c.function, c.options) for g, _p, c in calls] == [
        (f"{f}_hidden_tests", f"deep_network.{f}", f, {}) for f in FUNCTIONS
    ]
    for cell in source_notebook().cells:
        if is_hidden_test(cell):
            region = cell.source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            assert "from grader.hidden import check" in region and "check(" in region
            before = cell.source.split("### BEGIN HIDDEN TESTS", 1)[0]
            assert all(line.startswith("#") for line in before.splitlines() if line.strip())


def test_assignment_toml_matches_the_notebook():
    meta = tomllib.loads(ASSIGNMENT_TOML.read_text())
    assert meta["notebook"] == NOTEBOOK.name
    assert meta["title"] and isinstance(meta["week"], int)
    assert meta["gpu"] is False and meta["datasets"] == []
    assert meta["time_budget_s"] > 0 and meta["memory_budget_mb"] > 0
    points = {g: p for g, p, _c in hidden_calls(source_notebook())}
    assert [f["name"] for f in meta["functions"]] == list(FUNCTIONS)
    for entry in meta["functions"]:
        assert entry["check"] == f"deep_network.{entry['name']}"
        assert points[entry["grade_id"]] == entry["points"]
    assert sum(f["points"] for f in meta["functions"]) == meta["total_points"] == 100


# ---------------------------------------------------------------------------------------------
# Running it: the source passes, the release scores zero


def test_the_source_notebook_passes_every_public_test_and_hidden_check_in_process(monkeypatch):
    ran = []
    original = hidden.check

    def recording_check(name, function, **options):
        report = original(name, function, **options)  # raises AssertionError on any failed case
        ran.append((name, report.passed))
        return report

    # The hidden cells import check from grader.hidden when they run: they get the recording one.
    monkeypatch.setattr(hidden, "check", recording_check)
    _namespace, errors, printed = execute(source_notebook(), run_hidden=True)
    assert errors == {}
    assert ran == [(f"deep_network.{f}", True) for f in FUNCTIONS]
    for function in FUNCTIONS:
        assert f"{function}: all public tests passed" in printed


@pytest.mark.parametrize("seed", [101, 202, 303])
def test_the_solutions_earn_full_marks(seed):
    nb = source_notebook()
    namespace, errors, _ = execute(nb)
    assert errors == {}
    scores = grade(nb, namespace, seed)
    assert sum(s for s, _p, _r in scores.values()) == 100


def test_nbgrader_validates_the_source_notebook(tmp_path):
    # nbgrader's own validator runs the notebook in a Jupyter kernel (the hidden cells included).
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", str(NOTEBOOK)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout + result.stderr


def test_the_release_has_stubs_and_no_hidden_tests():
    released = released_notebook()
    sources = {grade_id(c): c.source for c in released.cells if grade_id(c)}
    for function in FUNCTIONS:
        assert (
            "# YOUR CODE HERE\n" in sources[function] and "raise NotImplementedError()" in sources[function]
        )
        assert "BEGIN SOLUTION" not in sources[function]
        assert "check(" not in sources[f"{function}_hidden_tests"]
    code = "".join(c.source for c in released.cells if c.cell_type == "code")
    assert "dA_prev = np.dot(W.T, dZ)" not in code and "from grader" not in code


def test_the_release_runs_without_crashing_and_scores_zero_on_every_check():
    released = released_notebook()
    namespace, errors, _ = execute(released)
    assert set(errors) == {f"{f}_public_tests" for f in FUNCTIONS}
    assert all(isinstance(e, NotImplementedError) for e in errors.values())
    scores = grade(source_notebook(), namespace, seed=5)
    assert set(scores) == set(FUNCTIONS)
    for _score, _points, report in scores.values():
        assert report.n_passed == 0
        assert all("not implemented yet" in c.message for c in report.cases)


# ---------------------------------------------------------------------------------------------
# Student-like mistakes


def _callers_of(function: str) -> set[str]:
    return {f for f, deps in DEPENDS_ON.items() if function in deps}


def test_at_least_three_typical_mistakes_per_graded_function():
    targets = [mutant_target(p) for p in mutant_files() if "hardcoded" not in p.stem]
    for function in FUNCTIONS:
        assert targets.count(function) >= 3, function


@pytest.mark.parametrize("path", mutant_files(), ids=lambda p: p.stem)
def test_a_mistake_costs_the_points_of_its_function_and_no_other(path):
    nb = source_notebook()
    target = mutant_target(path)
    namespace, _errors, _ = execute(nb, with_mutant(path))
    for seed in (7, 8):
        scores = grade(nb, namespace, seed)
        score, points, report = scores[target]
        # Partial credit per case: a mistake may survive a family (e.g. m = 1), never most of them.
        assert report.fraction <= 0.5, report.feedback()
        assert score < points
        assert all(c.message for c in report.cases if not c.passed)
        for function, (other_score, other_points, other_report) in scores.items():
            if function == target or function in _callers_of(target):
                continue  # a caller uses the student's broken helper, as in the course
            assert other_score == other_points, other_report.feedback()


@pytest.mark.parametrize("path", [p for p in mutant_files() if "hardcoded" in p.stem], ids=lambda p: p.stem)
def test_hard_coded_public_answers_fail_every_hidden_case(path):
    nb = source_notebook()
    namespace, _errors, _ = execute(nb, with_mutant(path))
    target = mutant_target(path)
    for seed in (1, 2, 3):
        _score, _points, report = grade(nb, namespace, seed)[target]
        assert report.n_passed == 0, report.feedback()


def test_feedback_names_the_family_and_the_problem_without_inputs():
    nb = source_notebook()
    path = next(p for p in mutant_files() if p.stem == "linear_backward__db_without_keepdims")
    namespace, _errors, _ = execute(nb, with_mutant(path))
    report = grade(nb, namespace, 4)["linear_backward"][2]
    feedback = report.feedback()
    assert "(single example): db: has shape (" in feedback
    assert "keepdims=True" in feedback
    assert "array(" not in feedback and "[[" not in feedback
