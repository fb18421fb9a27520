"""Per-student HTML feedback: score, status, and what each hidden test found, never its inputs."""

from __future__ import annotations

import html
from pathlib import Path

from grader.records import MESSAGE_SEPARATOR, SubmissionResult

_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; color: #222; }
h1 { font-size: 1.4rem; } table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
.ok { color: #1a7f37; } .partial { color: #9a6700; } .bad { color: #cf222e; }
pre { white-space: pre-wrap; margin: 0; font-size: .9rem; } .status { padding: .6rem; background: #f6f8fa; }
td.score { white-space: nowrap; }
.message { padding: .6rem; border-left: 3px solid #9a6700; background: #fff8c5; }
"""


def _css_class(score: float, max_score: float) -> str:
    if max_score <= 0 or score >= max_score:
        return "ok"
    return "partial" if score > 0 else "bad"


def render_feedback(result: SubmissionResult) -> str:
    """The feedback page of one submission as an HTML document."""
    e = html.escape
    rows = []
    for cell in result.cells:
        cls = _css_class(cell.score, cell.max_score)
        rows.append(
            f"<tr><td>{e(cell.notebook)}</td><td>{e(cell.grade_id)}</td>"
            f'<td class="score {cls}">{cell.score:.2f} / {cell.max_score:g}</td>'
            f"<td><pre>{e(cell.feedback)}</pre></td></tr>"
        )
    status = f"status: {e(result.status)}"
    # What went wrong beside the tests (files, changed read-only cells, cells that failed or were
    # stopped), one part per line.
    message = "<br>".join(e(part) for part in result.message.split(MESSAGE_SEPARATOR) if part)
    message = f'<p class="message">{message}</p>' if message else ""
    penalty = f"<p>Late penalty: {result.late_penalty:g} points.</p>" if result.late_penalty else ""
    submitted = f" submitted {result.submitted_at:%Y-%m-%d %H:%M} UTC," if result.submitted_at else ""
    title = f"{e(result.assignment)}: feedback for {e(result.student)}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{_STYLE}</style></head><body>
<h1>{e(result.assignment)}: {result.score:.2f} / {result.max_score:g}</h1>
<p>Student {e(result.student)},{submitted} <span class="status">{status}</span></p>{message}{penalty}
<p>Each test runs your function on several hidden inputs of different sizes and compares the result with
the reference solution; you earn the test's points in proportion to the cases that pass.</p>
<table><thead><tr>
<th>notebook</th><th>test</th><th>score</th><th>what the hidden cases found</th>
</tr></thead>
<tbody>
{"".join(rows)}
</tbody></table></body></html>
"""


def write_feedback(result: SubmissionResult, feedback_root: Path) -> Path:
    """Write ``feedback/<student>/<assignment>/feedback.html`` under ``feedback_root``; return its path."""
    folder = feedback_root / result.student / result.assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "feedback.html"
    path.write_text(render_feedback(result), encoding="utf-8")
    return path
