"""A notebook code cell's source read as Python, for what grading learns from code without running it
(which submissions loop, which modules an assignment imports)."""

from __future__ import annotations

import ast


def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree with IPython magics and shell escapes blanked (they are not Python,
    and the rest of the cell still is); None when it does not parse."""
    lines = ("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
