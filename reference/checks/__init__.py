"""Numerical verification of the reference implementations.

Every check measures one number, the worst error over the cases it covers, and compares it
with a tolerance. ``all_checks()`` lists them; ``run_check`` runs one. The same checks back
``dlgrade reference check`` and the test suite, so a machine that passes the command passes
what CI verified.
"""

from __future__ import annotations

from reference.checks.registry import Check, CheckResult, all_checks, run_check, torch_available

__all__ = ["Check", "CheckResult", "all_checks", "run_check", "torch_available"]
