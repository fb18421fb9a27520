"""grader.allocator: the glibc setting is applied in-process and passed to children."""

from __future__ import annotations

import subprocess
import sys

from grader import allocator


def test_retain_freed_memory_succeeds_on_glibc():
    assert allocator.retain_freed_memory() is True


def test_child_environment_adds_tunables_without_dropping_existing_ones():
    env = allocator.child_environment({"PATH": "/usr/bin", "GLIBC_TUNABLES": "glibc.cpu.x=1"})
    assert env["PATH"] == "/usr/bin"
    assert env["GLIBC_TUNABLES"] == f"glibc.cpu.x=1:{allocator.TUNABLES}"
    assert allocator.child_environment({})["GLIBC_TUNABLES"] == allocator.TUNABLES


def test_a_child_started_with_the_environment_runs():
    # glibc rejects malformed tunables silently, so check the child sees the value and runs.
    code = "import os; print(os.environ['GLIBC_TUNABLES'])"
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=allocator.child_environment(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert allocator.TUNABLES in out.stdout
