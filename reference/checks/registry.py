"""The list of checks and how one is run."""

from __future__ import annotations

import importlib.util
import math
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

CheckKind = Literal["gradient", "oracle", "known-value", "invariant"]

TOPIC_MODULES = (
    "activations",
    "logistic_regression",
    "initialization",
    "deep_network",
    "regularization",
    "gradient_check",
    "optimization",
    "cnn",
    "rnn",
    "char_model",
    "datasets",
)


@dataclass(frozen=True)
class Check:
    """One verification of one reference function.

    ``run`` returns the worst error over every case the check covers (a relative error for
    gradient and oracle checks, an absolute error for known values, 0.0/1.0 for invariants).
    """

    function: str
    kind: CheckKind
    description: str
    run: Callable[[], float]
    tolerance: float
    requires_torch: bool = False

    @property
    def name(self) -> str:
        """A stable identifier, e.g. ``cnn.conv_backward: gradient``."""
        return f"{self.function}: {self.kind} ({self.description})"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of running one check."""

    check: Check
    status: Literal["pass", "fail", "error", "skipped"]
    error: float
    seconds: float
    message: str = ""

    @property
    def passed(self) -> bool:
        """True when the check passed or was skipped for lack of torch."""
        return self.status in ("pass", "skipped")


def torch_available() -> bool:
    """Whether the PyTorch oracle can be imported."""
    return importlib.util.find_spec("torch") is not None


def all_checks() -> list[Check]:
    """Every check of every topic module, in a stable order."""
    checks: list[Check] = []
    for topic in TOPIC_MODULES:
        module_name = f"reference.checks.{topic}"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        topic_checks: Callable[[], list[Check]] = module.checks
        checks.extend(topic_checks())
    return checks


def run_check(check: Check, *, use_torch: bool = True) -> CheckResult:
    """Run one check and compare its error with the tolerance; exceptions become 'error'."""
    if check.requires_torch and not (use_torch and torch_available()):
        return CheckResult(check, "skipped", math.nan, 0.0, "torch is not installed")
    start = time.perf_counter()
    try:
        error = float(check.run())
    except Exception as exc:  # a broken reference function must show up as a failed row
        elapsed = time.perf_counter() - start
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return CheckResult(check, "error", math.nan, elapsed, tb)
    elapsed = time.perf_counter() - start
    status: Literal["pass", "fail"] = "pass" if error <= check.tolerance else "fail"
    return CheckResult(check, status, error, elapsed)
