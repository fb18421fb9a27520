"""What a hidden check is: a student function, its reference, and how to draw randomized cases.

A ``CheckDef`` is everything the grader needs to score one student function without running any
test code in the student's process: ``make_cases(rng)`` draws the inputs (several sizes and
families, so that hard-coded answers fail), ``expected(case)`` runs the reference on a private copy
of them, and ``compare(expected, actual)`` judges what the student's function returned.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from grader.compare import DEFAULT_ATOL, DEFAULT_RTOL, Verdict, compare


@dataclass(frozen=True)
class Case:
    """One call of the function under test: positional and keyword arguments (plain data only:
    arrays, numbers, strings, lists, tuples, dicts) and the family it belongs to, which feedback
    names ("single example", "sigmoid layer", ...)."""

    family: str
    args: tuple[object, ...]
    kwargs: dict[str, object] = field(default_factory=dict)


CaseMaker = Callable[[np.random.Generator], list[Case]]
Comparer = Callable[[object, object], Verdict]


@dataclass(frozen=True)
class CheckDef:
    """A hidden check of one student function.

    ``name`` is what hidden test cells pass to ``check`` ("deep_network.linear_forward");
    ``function`` the course's name of the student function; ``args`` the course's argument names
    (for feedback); ``output`` names the return value, or the positions of a returned tuple.
    ``unchanged_args`` lists the argument positions the function must not modify in place.
    ``comparer`` replaces the default structural comparison when given.
    """

    name: str
    function: str
    reference: Callable[..., object]
    make_cases: CaseMaker
    description: str
    args: tuple[str, ...]
    output: str | tuple[str, ...] = "output"
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL
    allow_extra_keys: bool = False
    unchanged_args: tuple[int, ...] = ()
    comparer: Comparer | None = None

    def expected(self, case: Case) -> object:
        """The reference output for ``case``, computed on a deep copy of its inputs."""
        args = copy.deepcopy(case.args)
        kwargs = copy.deepcopy(case.kwargs)
        return self.reference(*args, **kwargs)

    def compare(self, expected: object, actual: object) -> Verdict:
        """Judge what the student's function returned against the reference output."""
        if self.comparer is not None:
            return self.comparer(expected, actual)
        if isinstance(self.output, str):
            what, names = self.output, None
        else:
            what, names = "output", self.output
        return compare(
            expected,
            actual,
            rtol=self.rtol,
            atol=self.atol,
            what=what,
            names=names,
            allow_extra_keys=self.allow_extra_keys,
        )

    def compare_inputs(self, case: Case, args_after: Sequence[object]) -> Verdict:
        """Whether the arguments in ``unchanged_args`` still equal the case's inputs after the
        call (``args_after``: the argument objects as the function left them)."""
        problems = []
        for position in self.unchanged_args:
            if position >= len(case.args) or position >= len(args_after):
                continue
            name = self.args[position] if position < len(self.args) else f"argument {position + 1}"
            before, after = case.args[position], args_after[position]
            if compare(before, after, rtol=0.0, atol=0.0).passed:
                continue
            detail = ""
            if isinstance(before, dict) and isinstance(after, dict):
                changed = [
                    str(key)
                    for key in before
                    if key not in after or not compare(before[key], after[key], rtol=0.0, atol=0.0).passed
                ]
                changed += [str(key) for key in after if key not in before]
                detail = f" (changed: {', '.join(changed[:8])}{', ...' if len(changed) > 8 else ''})"
            problems.append(f"modified its input `{name}` in place{detail}")
        if problems:
            return Verdict(False, "; ".join(problems) + "; work on a copy instead")
        return Verdict(True, "")
