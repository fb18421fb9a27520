"""Releasing an assignment: nbgrader's student version, checked, then published to the exchange.

nbgrader's GenerateAssignment makes release/<assignment>/ from source/<assignment>/: solution regions
become stubs, hidden tests are removed, read-only cells are locked and every nbgrader cell gets its
checksum; it also records the assignment's cells in nbgrader's gradebook. dlgrade then checks the
result (no solution or hidden-test text may reach students) and nbgrader's ExchangeReleaseAssignment
copies it to ``<exchange>/<course id>/outbound/<assignment>/`` where students fetch it.
"""

from __future__ import annotations

from pathlib import Path

from traitlets.config import Config

from grader.course import Course, CourseError, nbgrader_failure
from grader.errors import DlgradeError
from grader.notebook import read_notebook
from grader.source_cache import load_source_cached

SOLUTION_MARKERS = (
    "### BEGIN SOLUTION",
    "### END SOLUTION",
    "### BEGIN HIDDEN TESTS",
    "### END HIDDEN TESTS",
)
"""nbgrader's default delimiters; none may remain in a released notebook."""


class ReleaseError(DlgradeError):
    """Releasing an assignment failed; says which assignment and why."""

    def __init__(self, assignment: str, message: str) -> None:
        self.assignment = assignment
        super().__init__(f"release of {assignment}: {message}")


def generate_release(course: Course, assignment: str) -> Path:
    """Run nbgrader's GenerateAssignment for ``assignment`` and check its output; returns release/<name>/.

    Raises CourseError for an unknown assignment, NotebookError for a broken source notebook, and
    ReleaseError when nbgrader fails or its output still holds solutions or hidden tests.
    """
    sources = course.source_notebooks(assignment)
    for path in sources:
        # A clear message for broken metadata, before nbgrader's traceback; the analysis is kept
        # for the grading runs.
        load_source_cached(path, course.cache_dir)
    api = course.nbgrader_api()
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        raise ReleaseError(assignment, f"nbgrader could not generate it: {nbgrader_failure(result)}")
    released = course.release_dir / assignment
    check_release(assignment, released, [p.stem for p in sources])
    return released


def check_release(assignment: str, released: Path, names: list[str]) -> None:
    """Raise ReleaseError unless every notebook in ``names`` is in ``released`` without solution or
    hidden-test text and with nbgrader's checksums on its nbgrader cells."""
    for name in names:
        path = released / f"{name}.ipynb"
        if not path.is_file():
            raise ReleaseError(assignment, f"{path} was not written")
        nb = read_notebook(path)
        for number, cell in enumerate(nb["cells"], start=1):
            for marker in SOLUTION_MARKERS:
                if marker in cell["source"]:
                    raise ReleaseError(assignment, f"{path}: cell #{number} still contains {marker!r}")
            meta = cell["metadata"].get("nbgrader")
            graded = isinstance(meta, dict) and any(meta.get(k) for k in ("grade", "solution", "locked"))
            if graded and not meta.get("checksum"):
                raise ReleaseError(assignment, f"{path}: cell #{number} has no nbgrader checksum")


def publish(course: Course, assignment: str, *, force: bool = True) -> Path:
    """Copy release/<assignment>/ to the exchange with nbgrader's ExchangeReleaseAssignment.

    Returns ``<exchange>/<course id>/outbound/<assignment>``. ``force`` replaces an earlier release.
    Raises CourseError when the course has no id or no exchange, ReleaseError when nbgrader fails.
    """
    if not course.course_id:
        raise CourseError(f"{course.config_file}: set c.CourseDirectory.course_id to use the exchange")
    if not course.exchange_root.is_dir():
        raise CourseError(
            f"the exchange {course.exchange_root} does not exist; create it (mode 777) or set "
            f"c.Exchange.root in {course.config_file}"
        )
    if not (course.release_dir / assignment).is_dir():
        raise ReleaseError(assignment, "it has not been generated yet (release/ is missing)")
    config = Config()
    config.ExchangeReleaseAssignment.force = force
    result = course.nbgrader_api(config).release_assignment(assignment)
    if not result or not result.get("success"):
        raise ReleaseError(assignment, f"nbgrader could not publish it: {nbgrader_failure(result or {})}")
    return course.exchange_root / course.course_id / "outbound" / assignment


def release_assignment(course: Course, name: str, *, publish_to_exchange: bool | None = None) -> Path:
    """Generate the student version of ``name`` into release/<name>/ and publish it to the exchange.

    ``publish_to_exchange``: True requires the exchange, False skips it, None (default) publishes when
    the course's exchange directory exists. Returns release/<name>/.
    """
    released = generate_release(course, name)
    wanted = course.exchange_root.is_dir() if publish_to_exchange is None else publish_to_exchange
    if wanted:
        publish(course, name)
    return released
