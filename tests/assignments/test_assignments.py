"""Every shipped assignment, to one standard: its metadata agrees with its notebook, the source
scores full marks, the released notebook scores zero, and each mutant (a typical mistake) loses the
points of the function it breaks and of the functions that use it, and keeps all others."""

from __future__ import annotations

import pytest

from tests.assignments.harness import (
    Assignment,
    all_assignments,
    execute,
    grade,
    hidden_calls,
    mutant_target,
    reaches,
    with_mutant,
)

ASSIGNMENTS = [Assignment(m) for m in all_assignments()]
SEEDS = (3, 11)


def _ids(a: Assignment) -> str:
    return a.name


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=_ids)
def assignment(request) -> Assignment:
    return request.param


# Their checks build and train TensorFlow models: 5-20 s per mutant.
SLOW = {"tf_intro", "keras_cnn"}


def _mutant_cases() -> list:
    return [
        pytest.param(a, path, id=f"{a.name}/{path.stem}", marks=[pytest.mark.slow] if a.name in SLOW else [])
        for a in ASSIGNMENTS
        for path in a.mutants()
    ]


def test_metadata_agrees_with_the_notebook(assignment):
    calls = hidden_calls(assignment.source())
    by_grade_id = {}
    for grade_id, points, call in calls:
        by_grade_id.setdefault(grade_id, (points, set()))[1].add((call.function, call.name))
    listed = {f.grade_id: (f.points, {(f.name, f.check)}) for f in assignment.meta.functions}
    assert by_grade_id == listed
    assert sum(points for points, _ in by_grade_id.values()) == assignment.meta.total_points
    names = {f.name for f in assignment.meta.functions}
    for f in assignment.meta.functions:
        assert set(f.uses) <= names - {f.name}, f.name


def test_the_source_notebook_runs_clean_and_scores_full_marks(assignment):
    nb = assignment.source()
    # As the instructor validates it in plain Jupyter: every cell, the hidden ones included.
    _, errors, _ = execute(nb, run_hidden=True)
    assert errors == {}
    namespace, errors, _ = execute(nb)
    assert errors == {}
    for seed in SEEDS:
        for function, (score, points, report) in grade(nb, namespace, seed).items():
            assert score == points, f"{function}: {report.feedback()}"


def test_the_released_notebook_scores_zero_and_survives(assignment):
    namespace, _errors, _ = execute(assignment.released())  # stubs raise: the run goes on
    # The released copy has no hidden tests left: score it with the source's.
    scores = grade(assignment.source(), namespace, SEEDS[0])
    assert set(scores) == {f.name for f in assignment.meta.functions}
    assert all(score == 0 for score, _, _ in scores.values()), {f: s for f, (s, _, _) in scores.items()}


def test_every_assignment_has_at_least_three_mutants(assignment):
    mutants = assignment.mutants()
    assert len(mutants) >= 3, f"{assignment.name}: {len(mutants)} mutants"
    functions = {f.name for f in assignment.meta.functions}
    assert {mutant_target(p) for p in mutants} <= functions


@pytest.mark.parametrize(("assignment_", "mutant"), _mutant_cases())
def test_a_mutant_loses_the_points_of_what_it_breaks_and_keeps_the_rest(assignment_, mutant):
    a = assignment_
    target = mutant_target(mutant)
    affected = a.affected_by(target)
    with with_mutant(a.name, target, mutant.read_text()) as (nb, namespace, changed):
        # A function whose code cannot reach a name the mutant changed scores as in the source
        # notebook (checked by the full-marks test): only the others are graded again. The broken
        # function is graded on every seed, the rest on the first.
        exposed = {f.name for f in a.meta.functions if reaches(namespace, f.name, changed)}
        assert target in exposed
        for seed in SEEDS:
            scores = grade(nb, namespace, seed, only=exposed if seed == SEEDS[0] else {target})
            score, points, report = scores[target]
            assert score < points, f"{mutant.name} kept every point of {target} (seed {seed})"
            for function, (score, points, report) in scores.items():
                if function not in affected:
                    assert score == points, f"{mutant.name} cost points of {function}: {report.feedback()}"
