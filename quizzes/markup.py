"""Question text (Markdown with ``$...$`` / ``$$...$$`` LaTeX) to the HTML that quiz systems import.

Raw HTML in the bank is escaped, never passed through. Inline maths becomes ``\\(...\\)`` and display
maths ``$$...$$``, which Moodle's MathJax filter and Canvas render.
"""

from __future__ import annotations

import html

import mistune

_MARKDOWN = mistune.create_markdown(escape=True, plugins=["math", "table", "strikethrough"])


def to_html(markdown: str) -> str:
    """HTML for ``markdown`` (a block: paragraphs, lists, code, maths), trailing newline removed."""
    out = _MARKDOWN(markdown)
    assert isinstance(out, str)
    return out.strip()


def inline_html(markdown: str) -> str:
    """HTML for a short text (a choice, a feedback line): one paragraph is unwrapped."""
    out = to_html(markdown)
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out


def plain(markdown: str) -> str:
    """A short text without markup (matching answers, names): HTML entities resolved, spaces collapsed."""
    return " ".join(html.unescape(markdown).split())
