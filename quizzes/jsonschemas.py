"""The JSON Schemas of question files, of their ``answer`` blocks (one per type) and of quiz files.

These check structure (fields, types, ranges); :mod:`quizzes.schema` and :mod:`quizzes.quiz` then
check what a schema cannot say (one correct choice, expressions that compile, rubric points that add
up). ``quizzes/README.md`` documents every field.
"""

from __future__ import annotations

from typing import Any

QUESTION_TYPES = ("single", "multiple", "truefalse", "numeric", "short", "matching", "ordering", "essay")
PARTIAL_CREDIT_RULES = ("moodle-sum", "all-or-nothing", "net-correct", "coverage", "each-answer")
ITEM_PARTIAL_RULES = ("per-item", "all-or-nothing")
FEEDBACK_POLICIES = ("immediately", "after-close", "never")

_TEXT = {"type": "string", "minLength": 1}
_ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 80}
_NUMBER = {"type": "number"}
_STRINGS = {"type": "array", "items": _TEXT}

QUESTION: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["type", "title", "text", "tags", "points", "feedback"],
    "properties": {
        "id": _ID,
        "type": {"enum": list(QUESTION_TYPES)},
        "title": _TEXT,
        "text": _TEXT,
        "tags": {"type": "array", "items": _ID, "minItems": 1, "uniqueItems": True},
        "points": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
        "feedback": _TEXT,
        "source": _TEXT,
        "choices": {
            "type": "array",
            "minItems": 2,
            "maxItems": 12,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text"],
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9]+$", "maxLength": 16},
                    "text": _TEXT,
                    "correct": {"type": "boolean"},
                    "fraction": {"type": "number", "minimum": -1, "maximum": 1},
                    "feedback": _TEXT,
                },
            },
        },
        "shuffle_choices": {"type": "boolean"},
        "partial_credit": {"enum": list(PARTIAL_CREDIT_RULES)},
        "params": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "range": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "minItems": 2,
                        "maxItems": 3,
                    },
                    "choices": {"type": "array", "items": _NUMBER, "minItems": 1, "maxItems": 1000},
                },
                "minProperties": 1,
                "maxProperties": 1,
            },
        },
        "constraints": _STRINGS,
        "answer": {"type": "object"},
    },
}

ANSWERS: dict[str, dict[str, Any]] = {
    "single": {"type": "object", "additionalProperties": False, "properties": {}},
    "multiple": {"type": "object", "additionalProperties": False, "properties": {}},
    "truefalse": {
        "type": "object",
        "additionalProperties": False,
        "required": ["value"],
        "properties": {"value": {"type": "boolean"}, "wrong_feedback": _TEXT},
    },
    "numeric": {
        "type": "object",
        "additionalProperties": False,
        "required": ["value"],
        "properties": {
            "value": {"type": ["number", "string"]},
            "tolerance": {"type": "number", "minimum": 0},
            "tolerance_type": {"enum": ["abs", "rel"]},
            "decimals": {"type": "integer", "minimum": 0, "maximum": 12},
        },
    },
    "short": {
        "type": "object",
        "additionalProperties": False,
        "required": ["accept"],
        "properties": {
            "accept": {**_STRINGS, "minItems": 1},
            "patterns": _STRINGS,
            "case_sensitive": {"type": "boolean"},
        },
    },
    "matching": {
        "type": "object",
        "additionalProperties": False,
        "required": ["pairs"],
        "properties": {
            "pairs": {
                "type": "array",
                "minItems": 2,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["left", "right"],
                    "properties": {"left": _TEXT, "right": _TEXT},
                },
            },
            "distractors": _STRINGS,
            "partial": {"enum": list(ITEM_PARTIAL_RULES)},
        },
    },
    "ordering": {
        "type": "object",
        "additionalProperties": False,
        "required": ["order"],
        "properties": {
            "order": {**_STRINGS, "minItems": 2, "uniqueItems": True},
            "partial": {"enum": list(ITEM_PARTIAL_RULES)},
        },
    },
    "essay": {
        "type": "object",
        "additionalProperties": False,
        "required": ["rubric"],
        "properties": {
            "rubric": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["criterion", "points"],
                    "properties": {"criterion": _TEXT, "points": {"type": "number", "exclusiveMinimum": 0}},
                },
            },
            "model_answer": _TEXT,
        },
    },
}

_SLOT = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "id": _ID,
        "pool": {
            "type": "object",
            "additionalProperties": False,
            "required": ["tag"],
            "properties": {
                "tag": _ID,
                "count": {"type": "integer", "minimum": 1},
                "types": {"type": "array", "items": {"enum": list(QUESTION_TYPES)}},
            },
        },
        "one_of": {"type": "array", "items": _ID, "minItems": 2, "uniqueItems": True},
        "points": {"type": "number", "exclusiveMinimum": 0},
    },
}

QUIZ: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "questions"],
    "properties": {
        "id": _ID,
        "title": _TEXT,
        "week": {"type": "integer", "minimum": 0},
        "description": _TEXT,
        "time_limit_s": {"type": "integer", "minimum": 30},
        "grace_s": {"type": "integer", "minimum": 0},
        "attempts": {"type": "integer", "minimum": 1},
        "shuffle_questions": {"type": "boolean"},
        "shuffle_choices": {"type": "boolean"},
        "feedback": {"enum": list(FEEDBACK_POLICIES)},
        "extra_time_s": {
            "type": "object",
            "additionalProperties": {"type": "integer", "minimum": 0},
        },
        "questions": {"type": "array", "minItems": 1, "items": _SLOT},
    },
}
