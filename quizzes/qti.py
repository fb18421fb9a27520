"""Write questions as an IMS QTI 1.2 zip package, the format Canvas (classic quizzes) imports.

The package holds ``imsmanifest.xml`` (one ``imsqti_xmlv1p2`` resource), the assessment
``<ident>/<ident>.xml`` (``<questestinterop><assessment><section><item>...``) and Canvas's
``<ident>/assessment_meta.xml``. Every item carries Canvas's ``question_type`` and
``points_possible`` metadata and a ``resprocessing`` block that sets ``SCORE`` to 100 for the correct
response (per pair for matching). Ordering questions become matching questions (item -> position);
parametrized questions are written as their fixed export variant; essays are ``essay_question``.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable

from quizzes.gift import ordering_prompt
from quizzes.markup import inline_html, plain, to_html
from quizzes.schema import (
    EssayAnswer,
    MatchingAnswer,
    NumericAnswer,
    OrderingAnswer,
    Question,
    ShortAnswer,
    TrueFalseAnswer,
)
from quizzes.scoring import numeric_bounds
from quizzes.variants import Rendered, derive_seed, fixed_variant, format_number

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
MANIFEST_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
CANVAS_TYPES = {
    "single": "multiple_choice_question",
    "multiple": "multiple_answers_question",
    "truefalse": "true_false_question",
    "numeric": "numerical_question",
    "short": "short_answer_question",
    "matching": "matching_question",
    "ordering": "matching_question",
    "essay": "essay_question",
}


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = text
    return element


def _material(parent: ET.Element, html: str) -> None:
    _sub(_sub(parent, "material"), "mattext", html, texttype="text/html")


def _metadata(item: ET.Element, fields: dict[str, str]) -> None:
    meta = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    for label, entry in fields.items():
        field = _sub(meta, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)


def _set_score(parent: ET.Element, value: str, action: str = "Set") -> None:
    _sub(parent, "setvar", value, action=action, varname="SCORE")


def _choice_item(item: ET.Element, rendered: Rendered, presentation: ET.Element, proc: ET.Element) -> None:
    q = rendered.question
    cardinality = "Single" if q.type == "single" else "Multiple"
    lid = _sub(presentation, "response_lid", ident="response1", rcardinality=cardinality)
    choice = _sub(lid, "render_choice")
    for c in q.choices:
        label = _sub(choice, "response_label", ident=c.id)
        _material(label, inline_html(c.text))
    for c in q.choices:
        if c.feedback:
            cond = _sub(proc, "respcondition", **{"continue": "Yes"})
            _sub(_sub(cond, "conditionvar"), "varequal", c.id, respident="response1")
            _sub(cond, "displayfeedback", feedbacktype="Response", linkrefid=f"{c.id}_fb")
            fb = _sub(item, "itemfeedback", ident=f"{c.id}_fb")
            _material(_sub(fb, "flow_mat"), inline_html(c.feedback))
    cond = _sub(proc, "respcondition", **{"continue": "No"})
    var = _sub(cond, "conditionvar")
    if q.type == "single":
        _sub(var, "varequal", next(c.id for c in q.choices if c.correct), respident="response1")
    else:
        both = _sub(var, "and")
        for c in q.choices:
            target = both if c.correct else _sub(both, "not")
            _sub(target, "varequal", c.id, respident="response1")
    _set_score(cond, "100")


def _item(section: ET.Element, rendered: Rendered) -> ET.Element:
    q, answer = rendered.question, rendered.question.answer
    item = _sub(section, "item", ident=f"{q.id}-{derive_seed('qti', q.id) % 10**8}", title=q.id)
    _metadata(
        item,
        {
            "question_type": CANVAS_TYPES[q.type],
            "points_possible": f"{q.points:g}",
            "original_answer_ids": "",
            "assessment_question_identifierref": q.id,
        },
    )
    text = rendered.text
    if isinstance(answer, OrderingAnswer):
        text += "\n\n" + ordering_prompt(len(answer.order))
    presentation = _sub(item, "presentation")
    _material(presentation, to_html(f"**{rendered.title}**\n\n{text}"))
    proc = _sub(item, "resprocessing")
    _sub(_sub(proc, "outcomes"), "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    general = _sub(proc, "respcondition", **{"continue": "Yes"})
    _sub(_sub(general, "conditionvar"), "other")
    _sub(general, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    if q.type in ("single", "multiple"):
        _choice_item(item, rendered, presentation, proc)
    elif isinstance(answer, TrueFalseAnswer):
        lid = _sub(presentation, "response_lid", ident="response1", rcardinality="Single")
        choice = _sub(lid, "render_choice")
        for ident in ("true", "false"):
            _material(_sub(choice, "response_label", ident=ident), ident.capitalize())
        cond = _sub(proc, "respcondition", **{"continue": "No"})
        _sub(
            _sub(cond, "conditionvar"), "varequal", "true" if answer.value else "false", respident="response1"
        )
        _set_score(cond, "100")
    elif isinstance(answer, NumericAnswer | ShortAnswer | EssayAnswer):
        fib_type = {"fibtype": "Decimal"} if isinstance(answer, NumericAnswer) else {}
        response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
        _sub(_sub(response, "render_fib", **fib_type), "response_label", ident="answer1", rshuffle="No")
        if isinstance(answer, NumericAnswer):
            assert rendered.value is not None
            lo, hi = numeric_bounds(rendered.value, answer)
            cond = _sub(proc, "respcondition", **{"continue": "No"})
            either = _sub(_sub(cond, "conditionvar"), "or")
            _sub(either, "varequal", format_number(rendered.value), respident="response1")
            both = _sub(either, "and")
            _sub(both, "vargte", format_number(lo), respident="response1")
            _sub(both, "varlte", format_number(hi), respident="response1")
            _set_score(cond, "100")
        elif isinstance(answer, ShortAnswer):
            cond = _sub(proc, "respcondition", **{"continue": "No"})
            var = _sub(cond, "conditionvar")
            for accepted in answer.accept:
                _sub(var, "varequal", plain(accepted), respident="response1")
            _set_score(cond, "100")
    else:
        assert isinstance(answer, MatchingAnswer | OrderingAnswer)
        if isinstance(answer, MatchingAnswer):
            pairs = [(left, plain(right)) for left, right in answer.pairs]
            rights = [right for _, right in pairs] + [plain(d) for d in answer.distractors]
        else:
            pairs = [(item_text, str(i)) for i, item_text in enumerate(answer.order, start=1)]
            rights = [str(i) for i in range(1, len(pairs) + 1)]
        right_ids = {right: f"m{k}" for k, right in enumerate(rights)}
        for k, (left, right) in enumerate(pairs):
            lid = _sub(presentation, "response_lid", ident=f"response_{k}")
            _material(lid, inline_html(left))
            choice = _sub(lid, "render_choice")
            for option, ident in right_ids.items():
                _sub(_sub(_sub(choice, "response_label", ident=ident), "material"), "mattext", option)
            cond = _sub(proc, "respcondition")
            _sub(_sub(cond, "conditionvar"), "varequal", right_ids[right], respident=f"response_{k}")
            _set_score(cond, f"{100 / len(pairs):.4f}", action="Add")
    fb = _sub(item, "itemfeedback", ident="general_fb")
    _material(_sub(fb, "flow_mat"), to_html(q.feedback))
    return item


def assessment_xml(questions: Iterable[Question], ident: str, title: str) -> str:
    """The QTI 1.2 assessment document."""
    root = ET.Element("questestinterop", {"xmlns": QTI_NS})
    assessment = _sub(root, "assessment", ident=ident, title=title)
    meta = _sub(assessment, "qtimetadata")
    field = _sub(meta, "qtimetadatafield")
    _sub(field, "fieldlabel", "cc_maxattempts")
    _sub(field, "fieldentry", "1")
    section = _sub(assessment, "section", ident="root_section")
    for question in questions:
        _item(section, fixed_variant(question))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def manifest_xml(ident: str) -> str:
    """``imsmanifest.xml`` naming the assessment as an ``imsqti_xmlv1p2`` resource."""
    root = ET.Element("manifest", {"identifier": f"{ident}-manifest", "xmlns": MANIFEST_NS})
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", "IMS Content")
    _sub(metadata, "schemaversion", "1.1.3")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    resource = _sub(resources, "resource", identifier=ident, type="imsqti_xmlv1p2")
    _sub(resource, "file", href=f"{ident}/{ident}.xml")
    dependency = f"{ident}-meta"
    _sub(resource, "dependency", identifierref=dependency)
    meta = _sub(
        resources,
        "resource",
        identifier=dependency,
        type="associatedcontent/imscc_xmlv1p1/learning-application-resource",
        href=f"{ident}/assessment_meta.xml",
    )
    _sub(meta, "file", href=f"{ident}/assessment_meta.xml")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def assessment_meta_xml(ident: str, title: str, points: float) -> str:
    """Canvas's ``assessment_meta.xml``: title, quiz type, points."""
    root = ET.Element("quiz", {"identifier": ident, "xmlns": CANVAS_NS})
    _sub(root, "title", title)
    _sub(root, "quiz_type", "assignment")
    _sub(root, "points_possible", f"{points:g}")
    _sub(root, "shuffle_answers", "true")
    _sub(root, "allowed_attempts", "1")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_qti_zip(questions: Iterable[Question], ident: str, title: str) -> bytes:
    """The QTI zip package (bytes) of ``questions`` as one assessment."""
    items = list(questions)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", manifest_xml(ident))
        archive.writestr(f"{ident}/{ident}.xml", assessment_xml(items, ident, title))
        archive.writestr(
            f"{ident}/assessment_meta.xml", assessment_meta_xml(ident, title, sum(q.points for q in items))
        )
    return buffer.getvalue()
