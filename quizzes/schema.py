"""Load and validate one question file into typed dataclasses.

A question file ``quizzes/bank/<id>.yaml`` is checked in two steps: its structure against the JSON
Schema of :mod:`quizzes.jsonschemas`, then what a schema cannot say (one correct choice for
``single``, fractions that add up, expressions over declared parameters, regexes that compile, rubric
points equal to the question's points). Every error names the file and the field, e.g.
``quizzes/bank/conv-output-size.yaml: answer.tolerance: must be >= 0``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jsonschema  # type: ignore[import-untyped]
import yaml  # type: ignore[import-untyped]

from grader.errors import FileError
from quizzes import jsonschemas
from quizzes.expr import Expr, ExprError, Number, compile_expr

QuestionType = Literal["single", "multiple", "truefalse", "numeric", "short", "matching", "ordering", "essay"]
MAX_PARAM_VALUES = 100_000
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class QuestionError(FileError):
    """A question or quiz file that does not validate: names the file and the field."""

    def __init__(self, path: Path | str, field_path: str, message: str) -> None:
        self.field_path = field_path
        super().__init__(path, f"{field_path}: {message}" if field_path else message)


@dataclass(frozen=True)
class Choice:
    """One choice of a single/multiple choice question; ``fraction`` is its moodle-sum weight."""

    id: str
    text: str
    correct: bool
    fraction: float
    feedback: str = ""


@dataclass(frozen=True)
class Param:
    """A parameter of a parametrized question and the values it is drawn from (uniformly)."""

    name: str
    values: tuple[Number, ...]


@dataclass(frozen=True)
class TrueFalseAnswer:
    value: bool
    wrong_feedback: str = ""


@dataclass(frozen=True)
class NumericAnswer:
    """A number (or an expression over the params) with an absolute or relative tolerance."""

    value: Expr
    tolerance: float = 0.0
    tolerance_type: Literal["abs", "rel"] = "abs"
    decimals: int | None = None


@dataclass(frozen=True)
class ShortAnswer:
    """Accepted answers (literal, compared ignoring case and spacing) and regex patterns."""

    accept: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...] = ()
    case_sensitive: bool = False


@dataclass(frozen=True)
class MatchingAnswer:
    pairs: tuple[tuple[str, str], ...]
    distractors: tuple[str, ...] = ()
    partial: Literal["per-item", "all-or-nothing"] = "per-item"


@dataclass(frozen=True)
class OrderingAnswer:
    order: tuple[str, ...]
    partial: Literal["per-item", "all-or-nothing"] = "per-item"


@dataclass(frozen=True)
class RubricItem:
    criterion: str
    points: float


@dataclass(frozen=True)
class EssayAnswer:
    rubric: tuple[RubricItem, ...]
    model_answer: str = ""


@dataclass(frozen=True)
class ChoiceAnswer:
    """The answer of a choice question lives in its choices; this is an empty marker."""


Answer = (
    ChoiceAnswer
    | TrueFalseAnswer
    | NumericAnswer
    | ShortAnswer
    | MatchingAnswer
    | OrderingAnswer
    | EssayAnswer
)


@dataclass(frozen=True)
class Question:
    """One validated question of the bank."""

    id: str
    type: QuestionType
    title: str
    text: str
    tags: tuple[str, ...]
    points: float
    feedback: str
    answer: Answer
    choices: tuple[Choice, ...] = ()
    shuffle_choices: bool = True
    partial_credit: str = "moodle-sum"
    params: tuple[Param, ...] = ()
    constraints: tuple[Expr, ...] = ()
    source: str = ""
    path: Path = field(default=Path(), compare=False)

    @property
    def parametrized(self) -> bool:
        """True when the question's numbers are drawn per student."""
        return bool(self.params)

    @property
    def topics(self) -> tuple[str, ...]:
        """The topic tags (every tag except ``seed-NNN``)."""
        return tuple(t for t in self.tags if not t.startswith("seed-"))


def read_yaml(path: Path) -> Any:
    """The parsed YAML document of ``path``; a FileError when it is missing or not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FileError(path, f"cannot read: {exc.strerror or exc}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise FileError(path, f"{where}not valid YAML ({getattr(exc, 'problem', None) or exc})") from None


def field_name(path: Any) -> str:
    """``choices[2].text`` for the JSON path deque ``['choices', 2, 'text']``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any) -> tuple[str, str]:
    """(field, message) of a jsonschema error, in plain words."""
    where = field_name(error.absolute_path)
    kind, value = error.validator, error.validator_value
    if kind == "required":
        missing = [name for name in value if name not in error.instance]
        return (f"{where}.{missing[0]}" if where else missing[0]), "missing required field"
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return where, f"unknown field(s) {', '.join(map(str, extra))}"
    if kind == "minimum":
        return where, f"must be >= {value}"
    if kind == "exclusiveMinimum":
        return where, f"must be > {value}"
    if kind == "maximum":
        return where, f"must be <= {value}"
    if kind == "enum":
        return where, f"must be one of {', '.join(map(str, value))} (got {error.instance!r})"
    if kind == "type":
        types = value if isinstance(value, list) else [value]
        return where, f"must be of type {' or '.join(types)} (got {type(error.instance).__name__})"
    if kind == "pattern":
        return where, f"{error.instance!r} does not match {value}"
    return where, str(error.message)


def check_schema(path: Path, data: Any, schema: dict[str, Any], prefix: str = "") -> None:
    """Raise QuestionError for the most relevant schema violation of ``data``."""
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if not errors:
        return
    where, message = _message(jsonschema.exceptions.best_match(errors))
    where = f"{prefix}.{where}" if prefix and where else (prefix or where)
    raise QuestionError(path, where, message)


def _params(path: Path, raw: dict[str, Any]) -> tuple[Param, ...]:
    params = []
    for name, spec in raw.items():
        if "range" in spec:
            lo, hi, *rest = spec["range"]
            step = rest[0] if rest else 1
            if step <= 0 or hi < lo:
                raise QuestionError(
                    path, f"params.{name}.range", "must be [low, high] or [low, high, step > 0]"
                )
            if (hi - lo) // step + 1 > MAX_PARAM_VALUES:
                raise QuestionError(path, f"params.{name}.range", f"more than {MAX_PARAM_VALUES} values")
            values: tuple[Number, ...] = tuple(range(lo, hi + 1, step))
        else:
            values = tuple(spec["choices"])
        params.append(Param(name=name, values=values))
    return tuple(params)


def _expr(path: Path, where: str, source: str, names: set[str]) -> Expr:
    try:
        expr = compile_expr(source)
    except ExprError as exc:
        raise QuestionError(path, where, exc.message) from None
    unknown = sorted(expr.names - names - {"pi", "e"})
    if unknown:
        raise QuestionError(path, where, f"unknown name(s) {', '.join(unknown)} (declare them in params)")
    return expr


def _choices(path: Path, raw: list[dict[str, Any]], qtype: str, rule: str) -> tuple[Choice, ...]:
    ids = [str(c.get("id", chr(ord("a") + i))) for i, c in enumerate(raw)]
    if len(set(ids)) != len(ids):
        raise QuestionError(path, "choices", "choice ids must be unique")
    texts = [c["text"].strip() for c in raw]
    if len(set(texts)) != len(texts):
        raise QuestionError(path, "choices", "two choices have the same text")
    n_correct = sum(bool(c.get("correct")) for c in raw)
    n_wrong = len(raw) - n_correct
    if qtype == "single" and n_correct != 1:
        raise QuestionError(
            path, "choices", f"a single-choice question needs exactly 1 correct choice, not {n_correct}"
        )
    if qtype == "multiple" and n_correct == 0:
        raise QuestionError(path, "choices", "a multiple-choice question needs at least 1 correct choice")
    choices = []
    for i, (cid, c) in enumerate(zip(ids, raw, strict=True)):
        correct = bool(c.get("correct"))
        if qtype == "single":
            default = 1.0 if correct else 0.0
        else:
            default = 1.0 / n_correct if correct else (-1.0 / n_wrong if n_wrong else 0.0)
        fraction = float(c.get("fraction", default))
        if "fraction" in c and (fraction > 0) != correct:
            raise QuestionError(
                path, f"choices[{i}].fraction", "must be > 0 exactly when the choice is correct"
            )
        choices.append(Choice(cid, c["text"], correct, fraction, c.get("feedback", "")))
    if qtype == "multiple" and rule == "moodle-sum":
        total = sum(c.fraction for c in choices if c.fraction > 0)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise QuestionError(path, "choices", f"the positive fractions add up to {total:g}, not 1")
    return tuple(choices)


def _answer(path: Path, qtype: str, raw: dict[str, Any], names: set[str], points: float) -> Answer:
    check_schema(path, raw, jsonschemas.ANSWERS[qtype], prefix="answer")
    if qtype in ("single", "multiple"):
        return ChoiceAnswer()
    if qtype == "truefalse":
        return TrueFalseAnswer(raw["value"], raw.get("wrong_feedback", ""))
    if qtype == "numeric":
        value = raw["value"]
        source = value if isinstance(value, str) else repr(value)
        return NumericAnswer(
            value=_expr(path, "answer.value", source, names),
            tolerance=float(raw.get("tolerance", 0.0)),
            tolerance_type=raw.get("tolerance_type", "abs"),
            decimals=raw.get("decimals"),
        )
    if qtype == "short":
        flags = 0 if raw.get("case_sensitive") else re.IGNORECASE
        patterns = []
        for i, pattern in enumerate(raw.get("patterns", [])):
            try:
                patterns.append(re.compile(pattern, flags))
            except re.error as exc:
                raise QuestionError(path, f"answer.patterns[{i}]", f"not a valid regex ({exc})") from None
        return ShortAnswer(tuple(raw["accept"]), tuple(patterns), bool(raw.get("case_sensitive", False)))
    if qtype == "matching":
        pairs = tuple((p["left"], p["right"]) for p in raw["pairs"])
        if len({left for left, _ in pairs}) != len(pairs):
            raise QuestionError(path, "answer.pairs", "two pairs have the same left side")
        rights = [right for _, right in pairs] + list(raw.get("distractors", []))
        if len(set(rights)) != len(rights):
            raise QuestionError(path, "answer.pairs", "right sides and distractors must be distinct")
        if len(rights) < 3:
            raise QuestionError(path, "answer.pairs", "needs at least 3 right sides (pairs plus distractors)")
        if any("->" in text for pair in pairs for text in pair):
            raise QuestionError(path, "answer.pairs", "'->' is reserved (GIFT); write an arrow character")
        return MatchingAnswer(pairs, tuple(raw.get("distractors", [])), raw.get("partial", "per-item"))
    if qtype == "ordering":
        if len(raw["order"]) < 3:
            raise QuestionError(path, "answer.order", "needs at least 3 items")
        return OrderingAnswer(tuple(raw["order"]), raw.get("partial", "per-item"))
    rubric = tuple(RubricItem(r["criterion"], float(r["points"])) for r in raw["rubric"])
    total = sum(r.points for r in rubric)
    if not math.isclose(total, points):
        raise QuestionError(
            path, "answer.rubric", f"rubric points add up to {total:g}, not the question's {points:g}"
        )
    return EssayAnswer(rubric, raw.get("model_answer", ""))


def parse_question(path: Path, data: Any) -> Question:
    """Validate the parsed YAML ``data`` of ``path`` into a Question (QuestionError otherwise)."""
    if not isinstance(data, dict):
        raise QuestionError(path, "", "a question file must be a YAML mapping")
    check_schema(path, data, jsonschemas.QUESTION)
    qid = data.get("id", path.stem)
    if qid != path.stem:
        raise QuestionError(path, "id", f"{qid!r} must equal the file name {path.stem!r}")
    qtype = data["type"]
    has_choices = "choices" in data
    if has_choices != (qtype in ("single", "multiple")):
        raise QuestionError(
            path, "choices", f"{'not allowed' if has_choices else 'required'} for type {qtype}"
        )
    if ("answer" in data) != (qtype not in ("single", "multiple")):
        what = (
            "missing required field" if "answer" not in data else "not allowed (mark choices correct: true)"
        )
        raise QuestionError(path, "answer", what)
    if "partial_credit" in data and qtype != "multiple":
        raise QuestionError(path, "partial_credit", "only for type multiple")
    if "params" in data and qtype != "numeric":
        raise QuestionError(path, "params", "only numeric questions may be parametrized")
    params = _params(path, data.get("params", {}))
    names = {p.name for p in params}
    shown = set(PLACEHOLDER.findall(data["text"]))
    for name in sorted(names - shown):
        raise QuestionError(path, f"params.{name}", f"never shown: write {{{name}}} in the text")
    constraints = tuple(
        _expr(path, f"constraints[{i}]", src, names) for i, src in enumerate(data.get("constraints", []))
    )
    rule = data.get("partial_credit", "moodle-sum")
    choices = _choices(path, data["choices"], qtype, rule) if has_choices else ()
    points = float(data["points"])
    return Question(
        id=qid,
        type=qtype,
        title=data["title"],
        text=data["text"],
        tags=tuple(data["tags"]),
        points=points,
        feedback=data["feedback"],
        answer=_answer(path, qtype, data.get("answer", {}), names, points),
        choices=choices,
        shuffle_choices=data.get("shuffle_choices", True),
        partial_credit=rule,
        params=params,
        constraints=constraints,
        source=data.get("source", ""),
        path=path,
    )


def load_question(path: Path | str) -> Question:
    """Read and validate one question file."""
    path = Path(path)
    return parse_question(path, read_yaml(path))
