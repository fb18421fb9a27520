"""Where the quiz commands find the attempts (grader/cliopts.py's attempts_place): the same place for
`quiz serve`, `quiz stats` and `quiz regrade`, so that what the page records the statistics read."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cliopts import attempts_place
from grader.course import CourseError


def course_dir(tmp_path: Path, config: str) -> Path:
    root = tmp_path / "course"
    (root / "source").mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n" + config)
    return root


def test_a_configured_course_gives_its_gradebook_and_id(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    root = course_dir(tmp_path, f'c.CourseDirectory.course_id = "dl2026"\nc.CourseDirectory.db_url = "{url}"')
    assert attempts_place(None, None, root) == (url, "dl2026")
    assert attempts_place("postgresql://x/y", "other", root) == ("postgresql://x/y", "other")


def test_a_course_without_settings_uses_its_own_gradebook(tmp_path):
    root = course_dir(tmp_path, "")
    assert attempts_place(None, None, root) == (f"sqlite:///{root.resolve() / 'gradebook.db'}", "default")


def test_a_folder_that_is_no_course_keeps_its_own_gradebook(tmp_path):
    own = f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"
    assert attempts_place(None, None, tmp_path) == (own, "default")


def test_a_missing_folder_is_an_error_that_names_it(tmp_path):
    with pytest.raises(CourseError, match="nope"):
        attempts_place(None, None, tmp_path / "nope")
