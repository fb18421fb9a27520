"""grader.report and grader.feedback over real result records."""

from __future__ import annotations

from datetime import datetime

from PIL import Image

from grader.feedback import render_feedback, write_feedback
from grader.records import CaseResult, GradeCellResult, SubmissionResult
from grader.report import pass_rates, write_histogram


def result(student: str, passes: dict[str, int], status="graded", penalty=0.0) -> SubmissionResult:
    cells = []
    for grade_id, passed in passes.items():
        cases = tuple(
            CaseResult(
                f"dn.{grade_id}", i, "family", i < passed, "" if i < passed else "2 of 4 entries differ"
            )
            for i in range(4)
        )
        cells.append(GradeCellResult("deep_network", grade_id, 10 * passed / 4, 10.0, cases, "x"))
    return SubmissionResult(
        "deep_network",
        student,
        status,
        "c" * 64,
        tuple(cells),
        late_penalty=penalty,
        submitted_at=datetime(2026, 11, 20, 12, 30),
    )


def test_pass_rates_per_test():
    results = [result("a", {"t1": 4, "t2": 0}), result("b", {"t1": 2, "t2": 4})]
    rates = {r.grade_id: r for r in pass_rates(results)}
    assert rates["t1"].mean_score == 7.5
    assert rates["t1"].full_marks == 1
    assert rates["t1"].case_pass_rate == 6 / 8
    assert rates["t2"].full_marks_rate == 0.5


def test_histogram_is_a_png(tmp_path):
    results = [result(f"s{i}", {"t1": i % 5, "t2": 4}) for i in range(12)]
    path = write_histogram(results, tmp_path / "report" / "hist.png", "deep_network")
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.size[0] > 800


def test_feedback_escapes_and_shows_scores(tmp_path):
    r = result("<script>", {"t1": 3}, penalty=1.0)
    page = render_feedback(r)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "7.50 / 10" in page
    assert "Late penalty: 1 points" in page
    assert "6.50 / 10" in page  # the headline is after the penalty
    path = write_feedback(result("alice", {"t1": 4}), tmp_path)
    assert path == tmp_path / "alice" / "deep_network" / "feedback.html"
    assert "10.00 / 10" in path.read_text()


def test_feedback_shows_each_part_of_the_message_on_its_own_line():
    import dataclasses

    said = "nb.ipynb, cell #4 raised NameError: name '<A>' is not defined; nb.ipynb, cell #9 ran too long"
    page = render_feedback(dataclasses.replace(result("alice", {"t1": 4}), message=said))
    shown = page.split('<p class="message">', 1)[1].split("</p>", 1)[0]
    assert shown.split("<br>") == [
        "nb.ipynb, cell #4 raised NameError: name &#x27;&lt;A&gt;&#x27; is not defined",
        "nb.ipynb, cell #9 ran too long",
    ]
    assert 'class="message"' not in render_feedback(result("bob", {"t1": 4}))
