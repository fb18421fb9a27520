"""Writing canary files and appending to host files everywhere a student could guess."""

from __future__ import annotations

from tests.redteam.attacks import FUNCTIONS, LEAK, Attack, Cell, leak_checked

WRITE = r"""
import glob
import os

CANARY = "dlgrade_pwned_@TOKEN@"
new_files = [
    f"/tmp/{CANARY}", f"/dev/shm/{CANARY}", f"/var/tmp/{CANARY}", f"/{CANARY}", f"../../{CANARY}",
    f"../{CANARY}", f"@HOST_HOME@/{CANARY}", os.path.expanduser(f"~/../../root/{CANARY}"),
    f"@COURSE@/{CANARY}", f"@COURSE@/../{CANARY}", f"@COURSE@/submitted/{CANARY}",
    f"@COURSE@/source/deep_network/{CANARY}.ipynb", f"@REPO@/{CANARY}", f"@REPO@/reference/{CANARY}.py",
    f"/opt/dlgrade/{CANARY}", f"/job/{CANARY}", f"/out/../{CANARY}", f"/venv/{CANARY}", f"/usr/{CANARY}",
    f"/etc/{CANARY}", f"/proc/1/root/tmp/{CANARY}", f"/proc/self/cwd/../../{CANARY}",
    f"/root/.pyenv/{CANARY}", f"/proc/sys/kernel/{CANARY}",
]
for path in new_files:
    try:
        with open(path, "x") as handle:
            handle.write("pwned\n")
    except OSError:
        continue
    if path != f"/tmp/{CANARY}":  # the job's private /tmp is the only one of these it may write
        _leak("created " + path)

# Existing files whose change on the host would matter.
existing = [
    "/opt/dlgrade/sandbox_runner.py", "/opt/dlgrade/plaindata.py", "/job/cells.json", "/job/calls.json",
    "/etc/passwd", "/etc/hosts", "/venv/pyvenv.cfg", "@GRADEBOOK@", "@COURSE@/nbgrader_config.py",
    "@COURSE@/source/deep_network/deep_network.ipynb", "@REPO@/grader/compare.py",
    "@REPO@/reference/deep_network.py", "@REPO@/assignments/deep_network/deep_network.ipynb",
    *glob.glob("/venv/lib/python3.11/site-packages/*.pth"),
    *glob.glob("/venv/lib/python3.11/site-packages/numpy/__init__.py"),
]
for path in existing:
    try:
        with open(path, "a") as handle:
            handle.write(f"\n# {CANARY}\n")
        _leak("appended to " + path)  # none of these is the job's own file
    except OSError:
        pass

# Links out of the output directory, for a grader that would follow them.
for name in ("cells.jsonl", "calls"):
    try:
        os.rename(f"/out/{name}", f"/out/{name}.moved")
        os.symlink(f"@COURSE@/{CANARY}-{name}", f"/out/{name}")
    except OSError:
        pass
for directory in glob.glob("/out/calls*/*"):
    for name in ("status.json", "data.json", "arrays.npz"):
        try:
            os.remove(f"{directory}/{name}")
            os.symlink(f"@COURSE@/{CANARY}-{name}", f"{directory}/{name}")
        except OSError:
            pass
    try:
        os.link("/job/settings.json", f"{directory}/hardlink")
    except OSError:
        pass
try:
    os.chmod("/out", 0o777)
    os.chmod("/job", 0o777)
except OSError:
    pass
"""

ATTACK = Attack(
    name="write_outside_sandbox",
    summary="creates canary files in /tmp, /dev/shm, /var/tmp, /, ../../, the host's home, the course "
    "(root, submitted/, source/), the repository; appends to the runner, the job files, the venv, "
    "the gradebook, the source notebook and the reference; replaces output files by symlinks to the "
    "course",
    answers={function: leak_checked(function) for function in FUNCTIONS},
    cells=(Cell(LEAK, after="start"), Cell(WRITE)),
    # Its own output files were replaced by links: nothing of the calls can be read back.
    statuses=frozenset({"graded", "crashed"}),
)
