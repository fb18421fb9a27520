"""Shared test settings."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI runs on 2 slow cores: no per-example deadline, a bounded number of examples.
settings.register_profile(
    "dlgrade", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", parent=settings.get_profile("dlgrade"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dlgrade")
