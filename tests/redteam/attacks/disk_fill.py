"""Filling every writable disk: home, /tmp, the output directory, and huge returned arrays."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

FILL = """
import os

block = b"\\x01" * (4 * 1024**2)
for directory in ["/home/student", "/tmp", "/dev/shm", "/var/tmp", "/", "/job", "/opt/dlgrade"]:
    for number in range(1000):
        try:
            with open(f"{directory}/fill-{number}", "wb") as handle:
                while True:
                    handle.write(block)  # ends at the file size limit or a full disk
        except OSError:
            pass
        except BaseException:
            break
        if not os.path.exists(f"{directory}/fill-{number}"):
            break
        try:
            if os.path.getsize(f"{directory}/fill-{number}") == 0:
                break
        except OSError:
            break
"""

OUT = """
import glob
import time

# The output directory is on the host: every file the runner created there grows to the file size limit.
block = b"\\x02" * (4 * 1024**2)
for path in ["/out/cells.jsonl", *sorted(glob.glob("/out/calls/*/*"))]:
    try:
        with open(path, "ab") as handle:
            while True:
                handle.write(block)
    except OSError:
        pass
time.sleep(2)
"""


ATTACK = Attack(
    name="disk_fill",
    summary="fills /home/student, /tmp and every other path it can write with 4 MB blocks until the disk "
    "is full, then grows every file of the job's output directory (on the host) to the file size limit",
    cells=(Cell(FILL), Cell(OUT)),
    statuses=frozenset({"crashed"}),
)
