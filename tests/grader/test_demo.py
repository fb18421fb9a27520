"""`dlgrade demo`: the whole cycle on simulated students, as `make demo` runs it."""

from __future__ import annotations

import pytest
from rich.console import Console

from grader.demo import run_demo
from grader.gradebook_reader import load_results


@pytest.mark.slow
def test_demo_grades_every_simulated_student(tmp_path):
    outcome = run_demo(tmp_path, students=10, workers=2, console=Console(file=None, quiet=True))
    results = {r.student: r for r in load_results(outcome.course.db_url, "deep_network")}
    assert set(results) == set(outcome.kinds)
    for student, kind in outcome.kinds.items():
        result = results[student]
        if kind == "correct":
            assert result.score == result.max_score, student
        if kind == "stub":
            assert result.score == 0, student
        if kind in ("partly wrong", "hostile"):
            # Each of these carries at least one wrong function: it must cost points.
            assert 0 < result.score < result.max_score, (student, kind, result.score)
    assert "hostile" in outcome.kinds.values()
    assert len(outcome.feedback) == len(results)
    assert all(path.is_file() for path in outcome.feedback)
    assert outcome.histogram.read_bytes().startswith(b"\x89PNG")
    # The hostile student tried to write next to the course: nothing of it may exist outside the sandbox.
    assert not list(tmp_path.rglob("dlgrade-hostile-was-here.txt"))
