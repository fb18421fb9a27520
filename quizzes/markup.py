"""Question text (Markdown with ``$...$`` / ``$$...$$`` LaTeX) to HTML: for quiz systems, and for our page.

Raw HTML in the bank is escaped, never passed through. For exports (:func:`to_html`,
:func:`inline_html`) inline maths becomes ``\\(...\\)`` and display maths ``$$...$$``, which Moodle's
MathJax filter and Canvas render. For the quiz page (:func:`page_html`, :func:`page_inline_html`,
:func:`page_text`) maths becomes MathML, which browsers render without any script: ``$...$`` a
``<math display="inline">``, ``$$...$$`` a ``<math display="block">``. MathML comes from latex2mathml,
rebuilt element by element from a list of MathML elements and attributes (text escaped); a snippet
that cannot be converted shows as its escaped source in ``<code class="math-source">``.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element

import mistune
from latex2mathml.converter import convert_to_element
from mistune.plugins.math import INLINE_MATH_PATTERN

_PLUGINS: list[Any] = ["math", "table", "strikethrough"]
_MARKDOWN = mistune.create_markdown(escape=True, plugins=_PLUGINS)
_TOKENS = mistune.create_markdown(escape=True, renderer=None, plugins=_PLUGINS)

# fmt: off
MATH_ELEMENTS = frozenset({
    "math", "mrow", "mi", "mo", "mn", "ms", "mtext", "mspace", "msub", "msup",
    "msubsup", "mfrac", "msqrt", "mroot", "mstyle", "merror", "mpadded", "mphantom", "mtable", "mtr",
    "mtd", "munder", "mover", "munderover", "mmultiscripts", "mprescripts", "none", "menclose",
})
# fmt: on
"""The MathML elements the page may show (MathML Core, plus ``menclose``, which renders as a row)."""

# fmt: off
MATH_ATTRIBUTES = frozenset({
    "display", "displaystyle", "scriptlevel", "mathvariant", "mathsize", "mathcolor", "mathbackground",
    "stretchy", "fence", "separator", "form", "lspace", "rspace", "minsize", "maxsize", "symmetric",
    "largeop", "movablelimits", "accent", "accentunder", "linethickness", "width", "height", "depth",
    "voffset", "columnalign", "columnspan", "rowspan", "rowspacing", "columnspacing", "rowlines",
    "columnlines", "frame", "notation",
})
# fmt: on
"""The attributes kept; every other one (``href``, ``style``, event handlers, ...) is dropped."""

_CHILDREN = {
    "mfrac": 2,
    "mroot": 2,
    "msub": 2,
    "msup": 2,
    "msubsup": 3,
    "munder": 2,
    "mover": 2,
    "munderover": 3,
}
"""Elements that need an exact number of children (a ``\\frac`` missing its denominator fails)."""

_TOKEN_ELEMENTS = frozenset({"mi", "mo", "mn", "ms", "mtext"})
_TEXT_ESCAPE = re.compile(r"\\([_$%&#{} ])")
"""LaTeX's escaped specials, which latex2mathml leaves as they are inside ``\\text{...}``."""


class _UnconvertibleError(Exception):
    """latex2mathml produced something the page does not show (an unknown command, a bad shape)."""


def to_html(markdown: str) -> str:
    """HTML for ``markdown`` (a block: paragraphs, lists, code, maths), trailing newline removed."""
    out = _MARKDOWN(markdown)
    assert isinstance(out, str)
    return out.strip()


def inline_html(markdown: str) -> str:
    """HTML for a short text (a choice, a feedback line): one paragraph is unwrapped."""
    return _unwrap(to_html(markdown))


def plain(markdown: str) -> str:
    """A short text without markup (matching answers, names): HTML entities resolved, spaces collapsed."""
    return " ".join(html.unescape(markdown).split())


def _unwrap(out: str) -> str:
    if out.startswith("<p>") and out.endswith("</p>") and out.count("<p>") == 1:
        out = out[3:-4]
    return out


# ---------------------------------------------------------------------- the quiz page: MathML


@functools.lru_cache(maxsize=8192)
def latex_to_mathml(latex: str, display: bool = False) -> str | None:
    """``latex`` as a ``<math>`` element (``display``: a block), or None when it cannot be converted."""
    if not latex.strip():
        return None
    try:
        element = convert_to_element(latex, display="block" if display else "inline")
    except Exception:  # latex2mathml raises many kinds (IndexError, StopIteration, its own): all mean "no"
        return None
    out: list[str] = []
    try:
        _serialize(element, out)
    except _UnconvertibleError:
        return None
    return "".join(out)


def _serialize(element: Element, out: list[str]) -> None:
    tag = element.tag
    if tag not in MATH_ELEMENTS:
        raise _UnconvertibleError(tag)
    children = list(element)
    if tag in _CHILDREN and len(children) != _CHILDREN[tag]:
        raise _UnconvertibleError(tag)
    attributes = "".join(
        f' {name}="{html.escape(str(value))}"'
        for name, value in sorted(element.attrib.items())
        if name in MATH_ATTRIBUTES
    )
    out.append(f"<{tag}{attributes}>")
    if element.text:
        out.append(_math_text(tag, element.text))
    for child in children:
        _serialize(child, out)
        if child.tail and child.tail.strip():
            raise _UnconvertibleError("text between elements")
    out.append(f"</{tag}>")


def _token_text(tag: str, text: str) -> str:
    # latex2mathml writes characters as entity references (&#x003C3;) and leaves user text as is.
    value = html.unescape(text)
    return _TEXT_ESCAPE.sub(r"\1", value) if tag == "mtext" else value


def _math_text(tag: str, text: str) -> str:
    value = _token_text(tag, text)
    if tag not in _TOKEN_ELEMENTS or "\\" in value:  # an unknown command left as its name
        raise _UnconvertibleError(value)
    return html.escape(value, quote=False)


def _math_source(latex: str, display: bool) -> str:
    fence = "$$" if display else "$"
    return f'<code class="math-source">{html.escape(fence + latex + fence, quote=False)}</code>'


def _render_inline_math(renderer: Any, text: str) -> str:
    return latex_to_mathml(text) or _math_source(text, display=False)


def _render_block_math(renderer: Any, text: str) -> str:
    return (latex_to_mathml(text, display=True) or _math_source(text, display=True)) + "\n"


_PAGE_MARKDOWN = mistune.create_markdown(escape=True, plugins=_PLUGINS)
assert _PAGE_MARKDOWN.renderer is not None
_PAGE_MARKDOWN.renderer.register("inline_math", _render_inline_math)
_PAGE_MARKDOWN.renderer.register("block_math", _render_block_math)


def page_html(markdown: str) -> str:
    """HTML for ``markdown`` on the quiz page, maths as MathML (a block, like :func:`to_html`)."""
    out = _PAGE_MARKDOWN(markdown)
    assert isinstance(out, str)
    return out.strip()


def page_inline_html(markdown: str) -> str:
    """HTML for a short text on the quiz page (a choice, an item): one paragraph is unwrapped."""
    return _unwrap(page_html(markdown))


def math_snippets(markdown: str) -> list[tuple[str, bool]]:
    """Every LaTeX snippet of ``markdown``, in order: (source, display)."""
    tokens = _TOKENS(markdown)
    assert isinstance(tokens, list)
    return [(token["raw"], token["type"] == "block_math") for token in _walk(tokens)]


def math_fallbacks(markdown: str) -> list[str]:
    """The LaTeX snippets of ``markdown`` that the page shows as source (not converted to MathML)."""
    return [latex for latex, display in math_snippets(markdown) if latex_to_mathml(latex, display) is None]


def _walk(tokens: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for token in tokens:
        if token.get("type") in ("inline_math", "block_math"):
            yield token
        yield from _walk(token.get("children") or [])


def page_text(text: str) -> str:
    """A plain text (not Markdown: a matching answer, shown where no markup can go, in a ``<select>``)
    with its maths spelled out in Unicode (``$\\Gamma_f$`` reads ``Γ_f``), spaces collapsed."""
    return " ".join(_INLINE_MATH.sub(_math_match_text, text).split())


_INLINE_MATH = re.compile(INLINE_MATH_PATTERN)


def _math_match_text(match: re.Match[str]) -> str:
    groups = ("display_math_text", "backtick_math_text", "math_text")
    return _latex_text(next(g for g in (match.group(name) for name in groups) if g is not None))


@functools.lru_cache(maxsize=4096)
def _latex_text(latex: str) -> str:
    try:
        element = convert_to_element(latex)
        text = _element_text(element)
    except Exception:  # as latex_to_mathml: any failure shows the source
        return latex
    return text if "\\" not in text else latex


def _element_text(element: Element) -> str:
    parts = [_element_text(child) for child in element]
    own = _token_text(element.tag, element.text or "")
    if element.tag in ("msub", "msup") and len(parts) == 2:
        return parts[0] + ("_" if element.tag == "msub" else "^") + parts[1]
    if element.tag == "msqrt":
        inner = "".join(parts)
        return "√" + (inner if len(inner) == 1 else f"({inner})")
    if element.tag == "mfrac" and len(parts) == 2:
        return f"{parts[0]}/{parts[1]}"
    return own + "".join(parts)
