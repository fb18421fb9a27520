"""The registry of hidden checks: every ``CheckDef`` by name, loaded from one module per topic.

Each topic module (``grader.cases.deep_network``, ..., one per assignment) exposes
``checks() -> list[CheckDef]``; names are ``"<topic>.<function>"``. Topic modules are imported
on first use, so importing this package stays cheap and the topic modules can import
``Case``/``CheckDef`` from here.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from collections.abc import Callable
from pathlib import Path

from grader.cases.checkdef import Case, CaseMaker, CheckDef, Comparer
from grader.errors import DlgradeError

__all__ = [
    "TOPICS",
    "Case",
    "CaseMaker",
    "CheckDef",
    "Comparer",
    "UnknownCheckError",
    "all_checks",
    "get_check",
]

TOPICS = tuple(
    sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name != "checkdef")
)
"""The topic modules under grader/cases/ (every module but checkdef), in a stable order."""

_registry: dict[str, CheckDef] = {}


class UnknownCheckError(DlgradeError):
    """A hidden test names a check that no topic module defines."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        close = difflib.get_close_matches(name, known, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        super().__init__(f"unknown hidden check {name!r}{hint}")


def _load() -> dict[str, CheckDef]:
    if not _registry:
        found: dict[str, CheckDef] = {}
        for topic in TOPICS:
            module = importlib.import_module(f"grader.cases.{topic}")
            make: Callable[[], list[CheckDef]] = module.checks
            for check in make():
                if check.name in found:
                    raise ValueError(f"check {check.name!r} is defined twice")
                found[check.name] = check
        _registry.update(found)
    return _registry


def all_checks() -> list[CheckDef]:
    """Every check of every topic, in topic order."""
    return list(_load().values())


def get_check(name: str) -> CheckDef:
    """The check called ``name``; UnknownCheckError (with close matches) when there is none."""
    registry = _load()
    try:
        return registry[name]
    except KeyError:
        raise UnknownCheckError(name, sorted(registry)) from None
