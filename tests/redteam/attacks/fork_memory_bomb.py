"""Memory limits per process, multiplied by the process limit: children that each stay under the
job's memory limit while together holding more."""

from __future__ import annotations

from tests.redteam.attacks import FUNCTIONS, LEAK, Attack, Cell, leak_checked

BOMB = """
import os
import resource
import signal
import time

# The measurement must finish even on a loaded machine: no per-cell alarm (the wall limit remains).
signal.signal(signal.SIGALRM, signal.SIG_IGN)
limit = resource.getrlimit(resource.RLIMIT_AS)[0]
per_child = int(limit * 0.3) if limit > 0 else 400 * 1024**2
children, ready = [], []
for _ in range(4):  # all at once: allocating one after the other could outlast the cell's time limit
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        try:
            block = b"\\x01" * per_child  # written, so resident
            os.write(write_end, b"k")
            time.sleep(30)
        finally:
            os._exit(0)
    os.close(write_end)
    children.append(pid)
    ready.append(read_end)
children = [pid for pid, fd in zip(children, ready) if os.read(fd, 1) == b"k"]


def _rss(pid):
    # Proportional set size: pages shared after fork count once in the sum, not once per process.
    for name, key in ((f"/proc/{pid}/smaps_rollup", "Pss:"), (f"/proc/{pid}/status", "VmRSS:")):
        try:
            with open(name) as status:
                for line in status:
                    if line.startswith(key):
                        return int(line.split()[1]) * 1024
        except OSError:
            continue
    return 0


total = _rss(os.getpid()) + sum(_rss(pid) for pid in children)
report = f"job PSS {total / 1024**2:.0f} MB with {len(children)} children, limit {limit / 1024**2:.0f} MB"
os.write(2, (report + "\\n").encode())
if limit > 0 and total > limit:
    _leak(f"held {total / 1024**2:.0f} MB in one job, whose memory limit is {limit / 1024**2:.0f} MB")
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
"""

ATTACK = Attack(
    name="fork_memory_bomb",
    summary="four forked children each write a block of 30% of the memory limit and hold it: the job "
    "as a whole must not hold more than its memory limit",
    answers={function: leak_checked(function) for function in FUNCTIONS},
    cells=(Cell(LEAK, after="start"), Cell(BOMB)),
    # The sandbox adds up the memory of every process of the job and stops the job past the limit.
    statuses=frozenset({"crashed"}),
)
