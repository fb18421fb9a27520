"""Text built to break what stores or shows it: NUL bytes, lone surrogates, HTML, rich markup, ANSI
escapes and megabytes of it, in exception messages and class names, in output and in type names."""

from __future__ import annotations

from tests.redteam.attacks import FUNCTIONS, Attack, Cell

NASTY = r"""
import os
import sys

NASTY = ("\x00 NUL \ud800 lone surrogate <script>alert('x')</script> [bold red]markup[/] [/] "
         "\x1b[2J\x1b[31m ANSI \r\n=cmd|' /C calc'!A0 \u202e RTL ")
EvilError = type("EvilError<script>[/]", (Exception,), {"__module__": "<b>evil\ud800</b>"})


class Shouty(Exception):
    def __str__(self):
        return NASTY * 50000  # ~5 MB of message


class BrokenStr(Exception):
    def __str__(self):
        raise RuntimeError("no message for you")


class Weird:
    pass


Weird.__qualname__ = "<img src=x onerror=alert(1)>[/]"
Weird.__module__ = "\ud800"

os.write(1, NASTY.encode("utf-8", "surrogatepass"))
os.write(2, NASTY.encode("utf-8", "surrogatepass") * 100)
print(NASTY)
sys.stderr.write(NASTY)
"""

RAISERS = {
    "initialize_parameters": "raise EvilError(NASTY)",
    "initialize_parameters_deep": "raise Shouty()",
    "linear_forward": "raise BrokenStr()",
    "linear_activation_forward": "return Weird(), Weird()",
    "L_model_forward": "raise ValueError(NASTY)",
    "compute_cost": "return NASTY",
    "linear_backward": "return {NASTY: 1.0}, NASTY, b'\\x00'",
    "linear_activation_backward": "raise NotImplementedError(NASTY)",
    "L_model_backward": "return {NASTY: NASTY}",
    "update_parameters": "raise EvilError(NASTY * 1000)",
}

ATTACK = Attack(
    name="hostile_text",
    summary="exceptions, class names, module names, returned strings and dict keys made of NUL bytes, lone "
    "surrogates, <script>, rich markup, ANSI escapes, spreadsheet formulas and megabytes of text; the "
    "same printed to stdout/stderr",
    cells=(
        Cell(NASTY, after="start"),
        Cell("\n\n".join(f"def {f}(*args, **kwargs):\n    {code}" for f, code in RAISERS.items())),
    ),
)

assert set(RAISERS) == set(FUNCTIONS)
