"""Shared pieces of the deployment tests: the ``dlgrade hub`` commands and temporary OS accounts."""

from __future__ import annotations

import os
import pwd
import subprocess
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.services import unavailable

ACCOUNT_PREFIX = "dlgt-"
"""Every OS account a test creates starts with this, and is removed by the test."""


def remove_account(name: str) -> None:
    """End the account's processes and delete it with its home (only test accounts)."""
    assert name.startswith(ACCOUNT_PREFIX)
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return
    from grader.sandbox_process import end_processes_of

    end_processes_of(uid)
    subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)


@pytest.fixture
def accounts() -> Iterator[Callable[[str], str]]:
    """``accounts(role)``: a fresh account name (not yet created) removed at the end of the test."""
    if os.geteuid() != 0:
        unavailable("creating OS accounts needs root (CI and the course machines run as root)")
    names: list[str] = []

    def make(role: str) -> str:
        name = f"{ACCOUNT_PREFIX}{uuid.uuid4().hex[:6]}-{role}"
        names.append(name)
        return name

    yield make
    for name in names:
        remove_account(name)
