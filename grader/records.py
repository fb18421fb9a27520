"""Plain records passed between the parts of the grader: what an assignment is, what grading found.

They carry no behaviour beyond derived totals, so that workers can return them, the gradebook can
store them and reports can read them without depending on one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

SubmissionStatus = Literal["graded", "invalid", "crashed", "timeout", "error"]
"""graded: the notebook ran (cells may have failed) and every check was scored; invalid: the file is
not a usable notebook of this assignment; crashed/timeout: the sandbox died or ran out of time
(checks that had finished still count); error: dlgrade itself failed on this submission."""


@dataclass(frozen=True)
class GradeCellSpec:
    """A graded cell of a source notebook: its nbgrader id, points and cell type."""

    grade_id: str
    points: float
    cell_type: Literal["code", "markdown"] = "code"


@dataclass(frozen=True)
class SourceCellSpec:
    """Any nbgrader cell of a source notebook (locked, solution or graded), as nbgrader stores it."""

    grade_id: str
    cell_type: Literal["code", "markdown"]
    source: str
    checksum: str
    locked: bool
    solution: bool


@dataclass(frozen=True)
class NotebookSpec:
    """One notebook of an assignment: its name (file stem) and its nbgrader cells."""

    name: str
    grade_cells: tuple[GradeCellSpec, ...]
    source_cells: tuple[SourceCellSpec, ...]

    @property
    def max_score(self) -> float:
        """Sum of the points of every graded cell."""
        return sum(c.points for c in self.grade_cells)


@dataclass(frozen=True)
class AssignmentSpec:
    """An assignment as the gradebook knows it."""

    name: str
    notebooks: tuple[NotebookSpec, ...]
    duedate: datetime | None = None

    @property
    def max_score(self) -> float:
        """Sum over every notebook."""
        return sum(nb.max_score for nb in self.notebooks)


@dataclass(frozen=True)
class CaseResult:
    """One randomized case of one check: passed or not, and feedback that reveals no hidden input."""

    check: str
    index: int
    family: str
    passed: bool
    message: str = ""


@dataclass(frozen=True)
class GradeCellResult:
    """The score of one graded cell of one submitted notebook."""

    notebook: str
    grade_id: str
    score: float
    max_score: float
    cases: tuple[CaseResult, ...] = ()
    feedback: str = ""


# Parts of SubmissionResult.message (problems, the outcome, notes) are joined with this; the
# feedback page shows one part per line.
MESSAGE_SEPARATOR = "; "


@dataclass(frozen=True)
class SubmissionResult:
    """Everything grading found about one student's submission of one assignment."""

    assignment: str
    student: str
    status: SubmissionStatus
    checksum: str
    cells: tuple[GradeCellResult, ...] = ()
    message: str = ""
    submitted_at: datetime | None = None
    late_penalty: float = 0.0
    wall_seconds: float = 0.0
    log: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def raw_score(self) -> float:
        """Sum of the cell scores before any late penalty."""
        return sum(c.score for c in self.cells)

    @property
    def score(self) -> float:
        """The score after the late penalty, never below zero."""
        return max(0.0, self.raw_score - self.late_penalty)

    @property
    def max_score(self) -> float:
        """Sum of the cells' maximum scores."""
        return sum(c.max_score for c in self.cells)
