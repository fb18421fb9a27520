"""The initialization assignment: its hidden checks (layer sizes, seeded draws) and its notebook.

The generic assignment tests (tests/assignments) run the notebook, the release and the mutants;
these tests pin what is specific to this topic: the known values of the course, layer sizes that
tell fan-in from fan-out and never repeat a public example, and the notebook's layout.
"""

from __future__ import annotations

import itertools
import tomllib

import nbformat
import numpy as np
import pytest

from grader import plaindata
from grader.cases import all_checks, get_check
from grader.cases.initialization import PUBLIC_EXAMPLES
from grader.compare import compare
from grader.course import ASSIGNMENTS_DIR
from grader.hidden import run_check
from reference import initialization as init
from tests.assignments.harness import grade_id, hidden_calls, is_hidden_test, nbgrader_meta

NAME = "initialization"
NOTEBOOK = ASSIGNMENTS_DIR / NAME / f"{NAME}.ipynb"
FUNCTIONS = (
    "initialize_parameters_zeros",
    "initialize_parameters_random",
    "initialize_parameters_he",
    "initialize_parameters_xavier",
    "initialize_parameters_glorot",
)
SEEDS = tuple(range(10))
TOPIC = [c for c in all_checks() if c.name.startswith(f"{NAME}.")]


def _source() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


def test_every_graded_function_has_one_check_in_notebook_order():
    assert [c.function for c in TOPIC] == list(FUNCTIONS)
    assert [c.name for c in TOPIC] == [f"{NAME}.{f}" for f in FUNCTIONS]
    meta = tomllib.loads((NOTEBOOK.parent / "assignment.toml").read_text())
    assert [f["name"] for f in meta["functions"]] == list(FUNCTIONS)


def test_the_course_known_values():
    np.testing.assert_allclose(init.initialize_parameters_random([3, 2, 1])["W1"][0, 0], 17.88628473)
    np.testing.assert_allclose(
        init.initialize_parameters_he([3, 1, 2])["W1"], [[1.46040903, 0.3564088, 0.07878985]], rtol=1e-7
    )


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_six_cases_in_distinct_families_and_the_reference_passes(check_def):
    for seed in SEEDS:
        cases = check_def.make_cases(np.random.default_rng(seed))
        families = [c.family for c in cases]
        assert len(cases) == 6 and len(set(families)) == 6
        report = run_check(check_def.name, check_def.reference, seed=seed)
        assert report.passed, report.feedback()


def test_layer_sizes_vary_with_the_seed_and_neighbours_always_differ():
    check_def = get_check(f"{NAME}.initialize_parameters_he")
    by_seed = [check_def.make_cases(np.random.default_rng(seed)) for seed in range(200)]
    for cases in by_seed:
        for case in cases:
            (dims,) = case.args
            assert isinstance(dims, list) and all(isinstance(n, int) and n >= 1 for n in dims)
            assert all(a != b for a, b in itertools.pairwise(dims)), (case.family, dims)
            assert dims not in PUBLIC_EXAMPLES
    for index, case in enumerate(by_seed[0]):
        assert len({tuple(cases[index].args[0]) for cases in by_seed[:10]}) > 1, case.family
    depths = {len(case.args[0]) for case in by_seed[0]}
    assert {2, 3, 4, 6} <= depths


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_case_inputs_and_outputs_are_plain_data(check_def):
    for case in check_def.make_cases(np.random.default_rng(21)):
        for value in (case.args, check_def.expected(case)):
            tree, arrays = plaindata.encode(value)
            assert compare(value, plaindata.decode(tree, arrays)).passed


def test_the_initializers_reseed_so_earlier_draws_do_not_matter():
    check_def = get_check(f"{NAME}.initialize_parameters_glorot")
    case = check_def.make_cases(np.random.default_rng(0))[2]
    first = check_def.expected(case)
    np.random.rand(17)
    assert check_def.compare(first, check_def.expected(case)).passed


@pytest.mark.parametrize(
    ("check", "wrong_scale"),
    [
        ("initialize_parameters_he", lambda n_prev, n: np.sqrt(2 / n)),
        ("initialize_parameters_xavier", lambda n_prev, n: np.sqrt(2 / n_prev)),
        ("initialize_parameters_glorot", lambda n_prev, n: np.sqrt(1 / (n_prev + n))),
        ("initialize_parameters_random", lambda n_prev, n: 1.0),
    ],
)
def test_a_wrong_scale_fails_every_case(check, wrong_scale):
    def student(layers_dims):
        np.random.seed(3)
        return {
            key: value
            for layer in range(1, len(layers_dims))
            for key, value in (
                (
                    f"W{layer}",
                    np.random.randn(layers_dims[layer], layers_dims[layer - 1])
                    * wrong_scale(layers_dims[layer - 1], layers_dims[layer]),
                ),
                (f"b{layer}", np.zeros((layers_dims[layer], 1))),
            )
        }

    for seed in (1, 2):
        report = run_check(f"{NAME}.{check}", student, seed=seed)
        assert report.n_passed == 0, report.feedback()


def test_zero_weights_of_integer_dtype_are_rejected():
    def student(layers_dims):
        return {
            key: value
            for layer in range(1, len(layers_dims))
            for key, value in (
                (f"W{layer}", np.zeros((layers_dims[layer], layers_dims[layer - 1]), dtype=int)),
                (f"b{layer}", np.zeros((layers_dims[layer], 1))),
            )
        }

    report = run_check(f"{NAME}.initialize_parameters_zeros", student, seed=0)
    assert report.n_passed == 0 and "expected floating-point values" in report.cases[0].message


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
        if function != "initialize_parameters_zeros":
            assert "np.random.seed(3)" in solution.source.split("### BEGIN SOLUTION")[0]
        assert grade_id(public) == f"{function}_public_tests" and nbgrader_meta(public)["locked"]
        assert grade_id(hidden) == f"{function}_hidden_tests" and is_hidden_test(hidden)
    assert [(g, c.name, c.function) for g, _p, c in hidden_calls(nb)] == [
        (f"{f}_hidden_tests", f"{NAME}.{f}", f) for f in FUNCTIONS
    ]
    public = {grade_id(c): c.source for c in code}
    assert "17.88628473" in public["initialize_parameters_random_public_tests"]
    assert "[[1.46040903, 0.3564088, 0.07878985]]" in public["initialize_parameters_he_public_tests"]


def test_the_given_model_is_in_the_setup_cell_and_training_is_not_run_when_grading():
    cells = [c for c in _source().cells if c.cell_type == "code" and not is_hidden_test(c)]
    assert "def model(" in cells[0].source and "make_circles" in cells[0].source
    for cell in cells:
        assert "grader" not in cell.source and "reference" not in cell.source
        if "model(train_X" in cell.source:
            assert nbgrader_meta(cell)["locked"] and "public-tests" in cell.metadata.get("tags", [])
        if (grade_id(cell) or "").endswith("_public_tests"):
            assert "import" not in cell.source and "passed" in cell.source
