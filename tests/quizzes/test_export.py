"""Exports parsed back with independent parsers: a GIFT parser written here, xml.etree for XML and QTI."""

from __future__ import annotations

import io
import math
import re
import xml.etree.ElementTree as ET
import zipfile

import pytest

from quizzes.export import export_bank, quiz_questions
from quizzes.gift import ordering_prompt
from quizzes.markup import inline_html, plain, to_html
from quizzes.quiz import find_quiz
from quizzes.schema import MatchingAnswer, OrderingAnswer, ShortAnswer, TrueFalseAnswer
from quizzes.scoring import numeric_bounds
from quizzes.variants import derive_seed, fixed_variant, render

# ---------------------------------------------------------------- a small GIFT parser (Moodle's rules)


def _unescape(text):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text, flags=re.S)


def _find(text, char, start=0):
    """Index of the first unescaped ``char`` at or after ``start``."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(char, i):
            return i
        i += 1
    return -1


def _split(text, chars):
    """Split at unescaped characters of ``chars``, keeping the separator with each part."""
    parts, current, marker, i = [], "", None, 0
    while i < len(text):
        if text[i] == "\\":
            current += text[i : i + 2]
            i += 2
            continue
        if text[i] in chars:
            if marker is not None or current.strip():
                parts.append((marker, current.strip()))
            marker, current = text[i], ""
        else:
            current += text[i]
        i += 1
    if marker is not None or current.strip():
        parts.append((marker, current.strip()))
    return parts


def parse_gift(source):
    """{name: {"text", "kind", "answers", "general"}} from a GIFT file."""
    questions = {}
    for block in re.split(r"\n[ \t]*\n", source):
        lines = [line for line in block.splitlines() if not line.lstrip().startswith("//")]
        body = "\n".join(lines).strip()
        if not body or body.startswith("$CATEGORY:"):
            continue
        assert body.startswith("::"), body[:80]
        end = _find(body, "::", 2)
        name = _unescape(body[2:end])
        rest = body[end + 2 :]
        opening = _find(rest, "{")
        closing = max(i for i in range(len(rest)) if rest[i] == "}" and rest[i - 1] != "\\")
        text, answer = rest[:opening], rest[opening + 1 : closing]
        general = ""
        split_at = _find(answer, "####")
        if split_at >= 0:
            answer, general = answer[:split_at], answer[split_at + 4 :]
        answer = answer.strip()
        fmt = re.match(r"\[(html|markdown|plain|moodle)\]", text)
        text = text[fmt.end() :] if fmt else text
        entry = {
            "format": fmt.group(1) if fmt else "moodle",
            "text": _unescape(text),
            "general": _unescape(general.strip()),
            "answers": [],
        }
        if not answer:
            entry["kind"] = "essay"
        elif answer.startswith("#"):
            value, _, tol = _unescape(answer[1:]).partition(":")
            entry["kind"], entry["answers"] = "numeric", [(float(value), float(tol or 0))]
        elif re.match(r"(TRUE|FALSE|T|F)\b", answer):
            head = answer.split("#")[0]
            entry["kind"], entry["answers"] = "truefalse", [head in ("TRUE", "T")]
        else:
            tokens = _split(answer, "=~")
            if any("->" in t for _, t in tokens):
                entry["kind"] = "matching"
                entry["answers"] = [tuple(_unescape(s).strip() for s in t.split("->", 1)) for _, t in tokens]
            else:
                parsed = []
                for marker, token in tokens:
                    weight = None
                    m = re.match(r"%(-?[0-9.]+)%", token)
                    if m:
                        weight, token = float(m.group(1)), token[m.end() :]
                    feedback_at = _find(token, "#")
                    feedback = _unescape(token[feedback_at + 1 :]) if feedback_at >= 0 else ""
                    token = token[:feedback_at] if feedback_at >= 0 else token
                    parsed.append((marker, weight, _unescape(token).strip(), feedback))
                kinds = {marker for marker, *_ in parsed}
                entry["kind"] = (
                    "short"
                    if kinds == {"="}
                    and len(parsed) >= 1
                    and all(w is None for _, w, *_ in parsed)
                    and "~" not in answer
                    else "choice"
                )
                entry["answers"] = parsed
        questions[name] = entry
    return questions


@pytest.fixture(scope="module")
def gift(bank):
    return parse_gift(export_bank(bank, "gift").content.decode("utf-8"))


def test_gift_round_trip(bank, gift):
    assert set(gift) == set(bank.questions)
    for qid, q in bank.questions.items():
        parsed, r = gift[qid], fixed_variant(q)
        assert parsed["general"].startswith("<p>") and parsed["format"] == "html", qid
        assert parsed["text"] == to_html(
            f"**{r.title}**\n\n{r.text}"
            + (f"\n\n{ordering_prompt(len(q.answer.order))}" if q.type == "ordering" else "")
        ), qid
        if q.type == "single":
            assert parsed["kind"] == "choice"
            right = [text for marker, _, text, _ in parsed["answers"] if marker == "="]
            assert right == [inline_html(c.text) for c in q.choices if c.correct], qid
        elif q.type == "multiple":
            weights = [w for _, w, _, _ in parsed["answers"]]
            assert sum(w for w in weights if w > 0) == pytest.approx(100, abs=0.01), qid
            assert [w > 0 for w in weights] == [c.correct for c in q.choices], qid
        elif q.type == "truefalse":
            assert parsed["kind"] == "truefalse" and parsed["answers"] == [q.answer.value]
        elif q.type == "numeric":
            ((value, tol),) = parsed["answers"]
            lo, hi = numeric_bounds(r.value, q.answer)
            assert (
                parsed["kind"] == "numeric"
                and value == pytest.approx(r.value)
                and tol == pytest.approx((hi - lo) / 2)
            )
        elif q.type == "short":
            assert parsed["kind"] == "short" and [t for _, _, t, _ in parsed["answers"]] == [
                plain(a) for a in q.answer.accept
            ]
        elif q.type == "matching":
            pairs = [(inline_html(left), plain(right)) for left, right in q.answer.pairs]
            assert parsed["answers"] == pairs + [("", plain(d)) for d in q.answer.distractors], qid
        elif q.type == "ordering":
            assert parsed["answers"] == [
                (inline_html(item), str(i)) for i, item in enumerate(q.answer.order, 1)
            ]
        else:
            assert parsed["kind"] == "essay"


def test_gift_escapes_latex_and_specials(gift):
    text = gift["conv-output-size"]["general"]
    assert r"\lfloor" in text and "{out}" in text  # braces and backslashes survive escaping
    assert "\n\n" not in export_text_of(gift)


def export_text_of(parsed):
    return "".join(e["text"] for e in parsed.values())


# ---------------------------------------------------------------- Moodle XML


@pytest.fixture(scope="module")
def moodle(bank):
    return ET.fromstring(export_bank(bank, "moodle-xml").content)


def test_moodle_xml_structure(bank, moodle):
    assert moodle.tag == "quiz"
    questions = [q for q in moodle.findall("question") if q.get("type") != "category"]
    by_id = {}
    for element in questions:
        idnumber = element.findtext("idnumber")
        qid = re.sub(r"-v\d+$", "", idnumber) if "(variant" in element.findtext("name/text") else idnumber
        by_id.setdefault(qid, []).append(element)
    assert set(by_id) == set(bank.questions)
    expected_types = {
        "single": "multichoice",
        "multiple": "multichoice",
        "truefalse": "truefalse",
        "numeric": "numerical",
        "short": "shortanswer",
        "matching": "matching",
        "ordering": "matching",
        "essay": "essay",
    }
    for qid, q in bank.questions.items():
        elements = by_id[qid]
        assert len(elements) == (10 if q.parametrized else 1), qid
        for element in elements:
            assert element.get("type") == expected_types[q.type]
            assert element.find("questiontext").get("format") == "html"
            assert float(element.findtext("defaultgrade")) == q.points
            fractions = [float(a.get("fraction")) for a in element.findall("answer")]
            if q.type == "single":
                assert element.findtext("single") == "true" and sorted(fractions) == [0] * (
                    len(q.choices) - 1
                ) + [100]
            elif q.type == "multiple":
                assert element.findtext("single") == "false"
                assert sum(f for f in fractions if f > 0) == pytest.approx(100, abs=0.01)
                assert all(f >= -100 for f in fractions)
            elif q.type == "truefalse":
                right = [a.findtext("text") for a in element.findall("answer") if a.get("fraction") == "100"]
                assert right == ["true" if q.answer.value else "false"]
            elif q.type == "short":
                assert fractions == [100] * len(q.answer.accept)
            elif q.type in ("matching", "ordering"):
                subs = element.findall("subquestion")
                n = (
                    len(q.answer.pairs) + len(q.answer.distractors)
                    if isinstance(q.answer, MatchingAnswer)
                    else len(q.answer.order)
                )
                assert len(subs) == n and all(s.findtext("answer/text") for s in subs)
            elif q.type == "essay":
                assert "Rubric" in element.findtext("graderinfo/text")


def test_moodle_parametrized_variants_are_in_their_category_and_correct(bank, moodle):
    children = list(moodle)
    q = bank.get("conv-output-size")
    start = next(
        i
        for i, c in enumerate(children)
        if c.findtext("category/text") == "$course$/top/dlgrade/variants/conv-output-size"
    )
    variants = children[start + 1 : start + 11]
    values = []
    for k, element in enumerate(variants):
        r = render(q, derive_seed("moodle-variant", q.id, k), shuffle_choices=False)
        n, f, p, s = (r.params[x] for x in "nfps")
        value = float(element.findtext("answer/text"))
        assert value == math.floor((n + 2 * p - f) / s) + 1
        assert (
            f"width {n} is convolved with a {f}x{f} filter, padding {p} and stride {s}"
            in element.findtext("questiontext/text")
        )
        values.append(value)
    assert len(set(values)) > 1


# ---------------------------------------------------------------- QTI 1.2 (Canvas)

NS = {
    "q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2",
    "m": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
}


def _meta(item):
    return {
        f.findtext("q:fieldlabel", namespaces=NS): f.findtext("q:fieldentry", namespaces=NS)
        for f in item.findall("q:itemmetadata/q:qtimetadata/q:qtimetadatafield", NS)
    }


def _full_score_conditions(item):
    return [
        c
        for c in item.findall("q:resprocessing/q:respcondition", NS)
        if c.findtext("q:setvar", namespaces=NS) == "100"
    ]


def qti_items(content):
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    resource = manifest.find("m:resources/m:resource[@type='imsqti_xmlv1p2']", NS)
    href = resource.find("m:file", NS).get("href")
    for r in manifest.findall("m:resources/m:resource", NS):
        for f in r.findall("m:file", NS):
            assert f.get("href") in archive.namelist()
    root = ET.fromstring(archive.read(href))
    return root, root.findall(".//q:item", NS)


def test_qti_package_matches_the_bank(bank):
    root, items = qti_items(export_bank(bank, "qti").content)
    assert root.find("q:assessment", NS).get("title") == "dlgrade question bank"
    assert {item.get("title") for item in items} == set(bank.questions)
    canvas = {
        "single": "multiple_choice_question",
        "multiple": "multiple_answers_question",
        "truefalse": "true_false_question",
        "numeric": "numerical_question",
        "short": "short_answer_question",
        "matching": "matching_question",
        "ordering": "matching_question",
        "essay": "essay_question",
    }
    for item in items:
        q = bank.get(item.get("title"))
        r = fixed_variant(q)
        meta = _meta(item)
        assert meta["question_type"] == canvas[q.type] and float(meta["points_possible"]) == q.points
        full = _full_score_conditions(item)
        if q.type == "single":
            (cond,) = full
            right = cond.findtext("q:conditionvar/q:varequal", namespaces=NS)
            assert right == next(c.id for c in q.choices if c.correct)
            labels = item.findall(".//q:response_label", NS)
            assert [lab.get("ident") for lab in labels] == [c.id for c in q.choices]
        elif q.type == "multiple":
            (cond,) = full
            required = [v.text for v in cond.findall("q:conditionvar/q:and/q:varequal", NS)]
            refused = [v.text for v in cond.findall("q:conditionvar/q:and/q:not/q:varequal", NS)]
            assert required == [c.id for c in q.choices if c.correct] and refused == [
                c.id for c in q.choices if not c.correct
            ]
        elif isinstance(q.answer, TrueFalseAnswer):
            assert full[0].findtext("q:conditionvar/q:varequal", namespaces=NS) == str(q.answer.value).lower()
        elif q.type == "numeric":
            (cond,) = full
            lo = float(cond.findtext(".//q:vargte", namespaces=NS))
            hi = float(cond.findtext(".//q:varlte", namespaces=NS))
            assert lo <= r.value <= hi and float(
                cond.findtext(".//q:or/q:varequal", namespaces=NS)
            ) == pytest.approx(r.value)
        elif isinstance(q.answer, ShortAnswer):
            assert [v.text for v in full[0].findall("q:conditionvar/q:varequal", NS)] == [
                plain(a) for a in q.answer.accept
            ]
        elif isinstance(q.answer, MatchingAnswer | OrderingAnswer):
            pairs = (
                [(left, plain(right)) for left, right in q.answer.pairs]
                if isinstance(q.answer, MatchingAnswer)
                else [(it, str(i)) for i, it in enumerate(q.answer.order, 1)]
            )
            lids = item.findall("q:presentation/q:response_lid", NS)
            assert len(lids) == len(pairs)
            conditions = item.findall("q:resprocessing/q:respcondition", NS)[1:]
            total = 0.0
            for lid, (left, right), cond in zip(lids, pairs, conditions, strict=True):
                assert lid.findtext("q:material/q:mattext", namespaces=NS) == inline_html(left)
                chosen = cond.findtext("q:conditionvar/q:varequal", namespaces=NS)
                label = lid.find(f"q:render_choice/q:response_label[@ident='{chosen}']", NS)
                assert label.findtext("q:material/q:mattext", namespaces=NS) == right
                total += float(cond.findtext("q:setvar", namespaces=NS))
            assert total == pytest.approx(100, abs=0.01)
        else:
            assert q.type == "essay" and not full and item.find(".//q:response_str", NS) is not None


def test_quiz_export_holds_every_question_the_quiz_can_draw(bank):
    quiz = find_quiz("week-05")
    expected = quiz_questions(quiz, bank)
    assert {q.id for q in expected} >= {
        "minibatch-count",
        "adam-bias-correction-v",
        "adam-bias-correction-s",
        "adam-first-step",
    }
    result = export_bank(bank, "qti", quiz)
    root, items = qti_items(result.content)
    assert result.filename == "week-05.zip" and root.find("q:assessment", NS).get("ident") == "week-05"
    assert [i.get("title") for i in items] == [q.id for q in expected]
    gift = parse_gift(export_bank(bank, "gift", quiz).content.decode())
    assert set(gift) == {q.id for q in expected}


def test_unknown_format(bank):
    with pytest.raises(Exception, match="unknown export format 'pdf'"):
        export_bank(bank, "pdf")
