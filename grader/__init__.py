"""dlgrade: the grading engine and the ``dlgrade`` command line."""

from __future__ import annotations

__version__ = "0.1.0.dev0"
