"""The quiz bank and quiz engine of dlgrade.

Questions live one per YAML file in ``quizzes/bank/``, quizzes in ``quizzes/quizzes/``. The engine is
pure functions over plain data (load, render a student's variant, build an attempt paper, score a
response, export to GIFT / Moodle XML / QTI), so that the CLI and a web server share it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
BANK_DIR = PACKAGE_DIR / "bank"
QUIZZES_DIR = PACKAGE_DIR / "quizzes"
TAGS_FILE = PACKAGE_DIR / "tags.yaml"
