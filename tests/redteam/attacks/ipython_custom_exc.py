"""IPython custom exception handlers and a silenced showtraceback, around answers that raise."""

from __future__ import annotations

from tests.redteam.attacks import WRONG, Attack, Cell

HOOKS = """
import sys

shell = get_ipython()

def _swallow(self, etype, value, tb, tb_offset=None):
    print("all tests passed")
    return None

shell.set_custom_exc((BaseException,), _swallow)
shell.showtraceback = lambda *args, **kwargs: None
shell.showsyntaxerror = lambda *args, **kwargs: None
shell.showindentationerror = lambda *args, **kwargs: None
sys.excepthook = lambda *args: None
"""

# A cell with IPython syntax runs through the shell (with the hooks above), not plain exec.
RAISING = """
%time _x = 1
!echo "running through IPython"
raise AssertionError("a failing test, swallowed by the custom handler")
"""

ATTACK = Attack(
    name="ipython_custom_exc",
    summary="get_ipython().set_custom_exc((BaseException,), swallow), patched showtraceback and "
    "sys.excepthook; answers defined through IPython cells; functions raise",
    answers={
        "linear_forward": "%time _y = 2\n" + WRONG["linear_forward"],
        "compute_cost": """
def compute_cost(AL, Y):
    raise AssertionError("swallowed?")
""",
    },
    cells=(Cell(HOOKS, after="start"), Cell(RAISING), Cell(HOOKS + "\n" + RAISING)),
)
