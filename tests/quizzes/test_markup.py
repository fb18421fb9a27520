"""Question text to HTML: MathML for the quiz page (every bank question converts), LaTeX for exports."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import escape

import pytest

from quizzes.markup import (
    inline_html,
    latex_to_mathml,
    math_fallbacks,
    math_snippets,
    page_html,
    page_inline_html,
    page_text,
    to_html,
)
from quizzes.schema import MatchingAnswer, OrderingAnswer, Question
from quizzes.variants import derive_seed, render

MATH = re.compile(r"<math\b.*?</math>", re.S)


def page_texts(question: Question, seeds: int = 5) -> list[str]:
    """Every Markdown text of ``question`` the page shows (the text for a few variants, choices,
    feedback, matching and ordering items)."""
    texts = [render(question, derive_seed("markup", question.id, k)).text for k in range(seeds)]
    texts += [question.feedback, *(c.text for c in question.choices), *(c.feedback for c in question.choices)]
    answer = question.answer
    if isinstance(answer, MatchingAnswer):
        texts += [left for left, _ in answer.pairs]
    if isinstance(answer, OrderingAnswer):
        texts += list(answer.order)
    wrong = getattr(answer, "wrong_feedback", None)
    if wrong:
        texts.append(wrong)
    return [t for t in texts if t]


def test_every_bank_question_renders_its_maths_as_mathml(bank):
    fallbacks: dict[str, list[str]] = {}
    snippets = 0
    for question in bank.questions.values():
        for text in page_texts(question):
            snippets += len(math_snippets(text))
            if math_fallbacks(text):
                fallbacks.setdefault(question.id, []).extend(math_fallbacks(text))
            html = page_html(text)
            assert "math-source" not in html and "\\(" not in html, (question.id, html)
            assert len(MATH.findall(html)) == len(math_snippets(text)), (question.id, text)
            for element in MATH.findall(html):  # well-formed, MathML only, no stray LaTeX
                tree = ET.fromstring(element)
                assert tree.get("display") in ("inline", "block")
                assert not any("\\" in (node.text or "") for node in tree.iter()), (question.id, element)
    assert fallbacks == {}
    assert snippets > 300  # the bank is full of maths: this test really looked at it


def test_inline_and_display_maths():
    html = page_html("Let $x^2 < y$ be.\n\n$$\n\\frac{a}{b}\n$$\n\nThen $$\\sum_i x_i$$ too.")
    inline, block, mid = MATH.findall(html)
    assert inline.startswith('<math display="inline">') and "<msup><mi>x</mi><mn>2</mn></msup>" in inline
    assert "<mo>&lt;</mo>" in inline
    assert block.startswith('<math display="block">') and "<mfrac>" in block
    assert mid.startswith('<math display="block">') and "∑" in mid  # $$...$$ inside a paragraph
    assert page_inline_html("a choice, $\\beta_1$") == (
        'a choice, <math display="inline"><mrow><msub><mi>β</mi><mn>1</mn></msub></mrow></math>'
    )


@pytest.mark.parametrize(
    "latex",
    [r"\foo{x}", r"\frac{a}", r"x^", r"\left( x", "", " ", r"\sigma\'(z)"],
)
def test_what_cannot_be_converted_falls_back_to_escaped_source(latex):
    assert latex_to_mathml(latex) is None
    html = page_html(f"see ${latex}$ here <b>" if latex.strip() else "see <b>")
    assert "<b>" not in html and "<math" not in html
    if latex.strip():
        assert f'<code class="math-source">{escape("$" + latex + "$", quote=False)}</code>' in html
        assert math_fallbacks(f"see ${latex}$") == [latex]


def test_a_failed_display_snippet_keeps_its_fences():
    html = page_html("$$\n\\unknowncommand\n$$")
    assert html == '<code class="math-source">$$\\unknowncommand$$</code>'


def test_no_raw_html_or_active_attribute_passes_through():
    html = page_html(
        r"$\text{<script>alert(1)</script>}$ $\href{javascript:alert(1)}{x}$ $\style{color:red}{y}$ "
        "<img src=x onerror=alert(1)>"
    )
    assert "<script" not in html and "<img" not in html and "href" not in html and "style" not in html
    assert "<mtext>&lt;script&gt;alert(1)&lt;/script&gt;</mtext>" in html
    assert html.count("<math") == 3  # the link and the style are dropped, their content stays


def test_text_mode_escapes_and_entities():
    assert "<mtext>init_scale</mtext>" in (latex_to_mathml(r"\text{init\_scale}") or "")
    assert "<mi>⌊</mi>" in (latex_to_mathml(r"\lfloor x \rfloor", display=True) or "")
    assert "<mi>&amp;</mi>" in (latex_to_mathml("a & b") or "")


def test_option_labels_spell_maths_in_unicode_and_keep_the_rest(bank):
    assert page_text(r"output gate $\Gamma_o$") == "output gate Γ_o"
    assert page_text(r"expose as $a^{\langle t \rangle}$") == "expose as a^⟨t⟩"
    assert page_text(r"$\sqrt{s} + \frac{1}{2}$") == "√s+1/2"
    assert page_text("v = beta*v + (1-beta)*dW;  W -= lr * v") == "v = beta*v + (1-beta)*dW; W -= lr * v"
    assert page_text(r"keep $\foo$") == r"keep \foo"
    lstm = bank.get("lstm-gates").answer
    assert all("$" not in page_text(right) for _, right in lstm.pairs)


def test_exports_keep_latex_for_the_lms_mathjax():
    text = "Let $x^2$ be.\n\n$$\n\\frac{a}{b}\n$$"
    assert to_html(text) == (
        '<p>Let <span class="math">\\(x^2\\)</span> be.</p>\n<div class="math">$$\n\\frac{a}{b}\n$$</div>'
    )
    assert inline_html(r"$\beta_1$") == r'<span class="math">\(\beta_1\)</span>'


def test_the_page_state_carries_mathml_for_text_choices_items_and_labels(tmp_path):
    import yaml

    from grader.dbmodels import utc_now
    from quizzes.quiz import load_quiz
    from quizzes.server import QuizService, ServerSettings

    questions = ["gradcheck-centered", "lstm-gates", "conv-output-size"]
    path = tmp_path / "maths.yaml"
    path.write_text(yaml.safe_dump({"title": "Maths", "questions": [{"id": q} for q in questions]}))
    settings = ServerSettings(
        db_url=f"sqlite:///{tmp_path / 'gradebook.db'}",
        secret=b"s" * 40,
        instructor_token="t",
        quizzes_dir=tmp_path,
        quizzes={"maths": load_quiz(path)},
    )
    service = QuizService(settings)
    try:
        state = service.start("maths", "ana", utc_now())
    finally:
        service.close()
    shown = {q["id"]: q for q in state["paper"]["questions"]}
    assert "<mi>θ</mi>" in shown["gradcheck-centered"]["text_html"]
    assert any("<math" in c["html"] for c in shown["gradcheck-centered"]["choices"])
    lstm = shown["lstm-gates"]
    assert len(lstm["left_html"]) == len(lstm["left"]) == 3 and all("<math" in h for h in lstm["left_html"])
    assert len(lstm["option_labels"]) == len(lstm["options"])
    assert "how much of the cell state to expose as a^⟨t⟩" in lstm["option_labels"]
    shown_text = [q["text_html"] for q in shown.values()] + lstm["left_html"] + lstm["option_labels"]
    shown_text += [c["html"] for q in shown.values() for c in q.get("choices", [])]
    assert not [t for t in shown_text if "$" in t or "\\" in t]
