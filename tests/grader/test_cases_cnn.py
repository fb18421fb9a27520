"""The CNN assignment's hidden checks: what the cases cover, that loop solutions grade fast, and the
points where the comparison must be strict (a scalar from conv_single_step) or lenient (which of
several equal maxima receives max pooling's gradient).

The generic tests (tests/assignments/) already run the notebook, its release and every mutant;
these tests pin down the properties of the cases themselves.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from grader import plaindata
from grader.cases import all_checks, get_check
from grader.hidden import run_check
from reference import cnn
from tests.assignments.harness import Assignment, all_assignments, execute

SEEDS = tuple(range(10))
FUNCTIONS = (
    "zero_pad",
    "conv_single_step",
    "conv_forward",
    "pool_forward",
    "conv_backward",
    "create_mask_from_window",
    "distribute_value",
    "pool_backward",
)
TOPIC = [c for c in all_checks() if c.name.startswith("cnn.")]
ASSIGNMENT = next(Assignment(m) for m in all_assignments() if m.name == "cnn")


def _cases(name: str, seed: int) -> list:
    return get_check(f"cnn.{name}").make_cases(np.random.default_rng(seed))


@pytest.fixture(scope="module")
def loop_solutions() -> dict:
    """The notebook's solutions (four nested loops, the course's style), defined in-process."""
    namespace, errors, _ = execute(ASSIGNMENT.source())
    assert errors == {}
    return namespace


# ---------------------------------------------------------------------------------------------
# The check definitions


def test_every_function_of_the_assignment_has_one_check_in_notebook_order():
    assert [c.function for c in TOPIC] == list(FUNCTIONS)
    assert [c.name for c in TOPIC] == [f"cnn.{f}" for f in FUNCTIONS]


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_four_to_eight_cases_in_distinct_named_families(check_def):
    for seed in SEEDS:
        families = [c.family for c in check_def.make_cases(np.random.default_rng(seed))]
        assert 4 <= len(families) <= 8
        assert len(set(families)) == len(families)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_the_reference_passes_its_own_check_for_many_seeds(check_def):
    for seed in range(40):
        report = run_check(check_def.name, check_def.reference, seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_cases_depend_on_the_seed_only_and_are_plain_data(check_def):
    first = check_def.make_cases(np.random.default_rng(11))
    again = check_def.make_cases(np.random.default_rng(11))
    other = check_def.make_cases(np.random.default_rng(12))
    assert all(check_def.compare(a.args, b.args).passed for a, b in zip(first, again, strict=True))
    assert not all(check_def.compare(a.args, b.args).passed for a, b in zip(first, other, strict=True))
    for case in first:
        for value in (case.args, check_def.expected(case)):
            tree, arrays = plaindata.encode(value)
            decoded = plaindata.decode(tree, arrays)
            assert "Unencodable" not in repr(decoded)
            assert check_def.compare(value, decoded).passed


# ---------------------------------------------------------------------------------------------
# What the cases cover


def test_convolution_cases_cover_every_pad_stride_and_filter_size_on_non_square_images():
    for seed in SEEDS:
        for name in ("conv_forward", "conv_backward"):
            settings = set()
            for case in _cases(name, seed):
                if name == "conv_forward":
                    A_prev, W, _b, hparameters = case.args
                else:
                    _dZ, (A_prev, W, _b, hparameters) = case.args
                settings.add((W.shape[0], hparameters["pad"], hparameters["stride"]))
                assert A_prev.shape[1] != A_prev.shape[2], case.family
            assert {f for f, _, _ in settings} == {1, 2, 3}
            assert {p for _, p, _ in settings} == {0, 1, 2}
            assert {s for _, _, s in settings} == {1, 2, 3}
            # The notebook's public example (pad 1, stride 2) is never the only setting.
            assert len({(p, s) for _, p, s in settings}) >= 5


def test_pooling_cases_cover_both_modes_and_every_window_layout():
    for seed in SEEDS:
        for name in ("pool_forward", "pool_backward"):
            layouts = set()
            uncovered = False
            for case in _cases(name, seed):
                A_prev, hparameters = case.args[1] if name == "pool_backward" else case.args[:2]
                mode = case.args[2] if len(case.args) == 3 else "default"
                f, stride = hparameters["f"], hparameters["stride"]
                relation = "tiles" if stride == f else ("overlap" if stride < f else "gaps")
                layouts.add((mode, relation))
                n_H, n_W = A_prev.shape[1:3]
                uncovered |= relation == "tiles" and ((n_H - f) % stride != 0 or (n_W - f) % stride != 0)
                assert n_H != n_W, case.family
            assert {m for m, _ in layouts} == {"max", "average", "default"}
            for mode in ("max", "average"):
                assert {(mode, "overlap"), (mode, "tiles")} <= layouts
            assert ("max", "gaps") in layouts
            assert uncovered, "no case leaves rows or columns outside every window"


def test_inputs_stay_small_enough_for_loop_solutions():
    # At most 3 examples, 4 channels and 8 x 8 inputs: a few thousand loop iterations per call.
    for seed in SEEDS:
        for name in ("conv_forward", "pool_forward", "zero_pad"):
            for case in _cases(name, seed):
                m, n_H, n_W, n_C = case.args[0].shape
                assert m <= 4 and n_H <= 8 and n_W <= 8 and n_C <= 4, case.family
        for case in _cases("conv_forward", seed):
            assert case.args[1].shape[3] <= 4


def test_backward_caches_come_from_a_real_forward_pass():
    for seed in SEEDS:
        for case in _cases("conv_backward", seed):
            dZ, (A_prev, W, b, hparameters) = case.args
            Z, _ = cnn.conv_forward(A_prev, W, b, hparameters)
            assert dZ.shape == Z.shape, case.family
        for case in _cases("pool_backward", seed):
            dA, (A_prev, hparameters) = case.args[:2]
            A, _ = cnn.pool_forward(A_prev, hparameters)
            assert dA.shape == A.shape, case.family


def test_max_pooling_windows_have_a_single_maximum():
    # Where several entries tie, the course gives all of them the gradient and PyTorch only one:
    # the hidden cases of pool_backward never decide between the two.
    for seed in SEEDS:
        for case in _cases("pool_backward", seed):
            _dA, (A_prev, hparameters) = case.args[:2]
            f, stride = hparameters["f"], hparameters["stride"]
            _, n_H, n_W, _ = cnn.pool_forward(A_prev, hparameters)[0].shape
            for h in range(n_H):
                for w in range(n_W):
                    window = A_prev[:, h * stride : h * stride + f, w * stride : w * stride + f, :]
                    top = window.max(axis=(1, 2), keepdims=True)
                    assert np.all(np.sum(window == top, axis=(1, 2)) == 1)


def test_create_mask_has_exactly_one_tie_family():
    for seed in SEEDS:
        for case in _cases("create_mask_from_window", seed):
            (x,) = case.args
            maxima = int(np.sum(x == np.max(x)))
            assert maxima == (2 if "tied" in case.family else 1), case.family


def test_distribute_value_uses_non_square_windows():
    for seed in SEEDS:
        shapes = [case.args[1] for case in _cases("distribute_value", seed)]
        assert any(n_H != n_W for n_H, n_W in shapes)
        assert all(isinstance(n, int) for shape in shapes for n in shape)


# ---------------------------------------------------------------------------------------------
# Comparisons that matter here


@pytest.mark.parametrize("wrap", [float, np.float64, np.array], ids=["float", "np.float64", "0-d array"])
def test_conv_single_step_accepts_any_single_number(wrap):
    report = run_check(
        "cnn.conv_single_step", lambda a, W, b: wrap(np.sum(a * W) + float(b.reshape(()))), seed=3
    )
    assert report.passed, report.feedback()


def test_conv_single_step_rejects_a_one_by_one_by_one_array():
    # np.sum(a * W) + b has the right value but the shape (1, 1, 1): the course's own test checks
    # that the result is a scalar, and conv_forward cannot store it in one entry of Z.
    report = run_check("cnn.conv_single_step", lambda a, W, b: np.sum(a * W) + b, seed=3)
    assert report.n_passed == 0
    assert "shape (1, 1, 1); expected a single number" in report.feedback()


def test_a_tie_breaking_pool_backward_still_earns_full_marks():
    def pool_backward_first_maximum(dA, cache, mode="max"):
        A_prev, hparameters = cache
        f, stride = hparameters["f"], hparameters["stride"]
        dA_prev = np.zeros(A_prev.shape)
        for i, h, w, c in np.ndindex(*dA.shape):
            rows, cols = slice(h * stride, h * stride + f), slice(w * stride, w * stride + f)
            if mode == "max":
                window = A_prev[i, rows, cols, c]
                r, k = np.unravel_index(np.argmax(window), window.shape)
                dA_prev[i, rows, cols, c][r, k] += dA[i, h, w, c]
            else:
                dA_prev[i, rows, cols, c] += dA[i, h, w, c] / (f * f)
        return dA_prev

    for seed in SEEDS:
        report = run_check("cnn.pool_backward", pool_backward_first_maximum, seed=seed)
        assert report.passed, report.feedback()


def test_the_minus_pad_slice_fails_exactly_the_unpadded_families(loop_solutions):
    source = next(p for p in ASSIGNMENT.mutants() if p.stem == "conv_backward__minus_pad_slice").read_text()
    namespace = dict(loop_solutions)
    exec(compile(source, "<mutant>", "exec"), namespace)
    for seed in SEEDS:
        report = run_check("cnn.conv_backward", namespace["conv_backward"], seed=seed)
        failed = {case.family for case in report.cases if not case.passed}
        assert failed == {case.family for case in report.cases if "no padding" in case.family}


# ---------------------------------------------------------------------------------------------
# The notebook


def test_the_public_example_value_is_the_course_value():
    np.random.seed(1)
    A_prev = np.random.randn(2, 5, 7, 4)
    W = np.random.randn(3, 3, 4, 8)
    b = np.random.randn(1, 1, 1, 8)
    Z, _ = cnn.conv_forward(A_prev, W, b, {"pad": 1, "stride": 2})
    assert Z.shape == (2, 3, 4, 8)
    assert np.isclose(np.mean(Z), 0.5511276474566768, rtol=1e-12)
    assert "0.5511276474566768" in ASSIGNMENT.notebook_path.read_text()


def test_loop_solutions_grade_every_check_quickly(loop_solutions):
    # The course's four nested loops: all hidden cases of all functions in well under a second
    # (measured ~0.1 s; the sandbox grades a whole submission in ~0.3 s wall).
    for seed in (0, 1, 2):
        start = time.perf_counter()
        for name in FUNCTIONS:
            report = run_check(f"cnn.{name}", loop_solutions[name], seed=seed)
            assert report.passed, report.feedback()
        assert time.perf_counter() - start < 5.0


def test_student_cells_never_import_the_grader_or_the_reference():
    for cell in ASSIGNMENT.released().cells:
        if cell.cell_type == "code":
            assert "grader" not in cell.source and "reference" not in cell.source
