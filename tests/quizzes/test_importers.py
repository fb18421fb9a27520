"""Exports checked the way importers read them, with parsers and rules that are not ours.

- GIFT: parsed by ``gift-pegjs`` (npm, the PEG grammar of GIFT used by GIFT editors and converters),
  run with node; every question's type, answers, weights and texts must match the bank. Multiple-
  choice weights must also be in Moodle's list of grades (Moodle's importer refuses other weights).
- Moodle XML: no independent validator exists offline (Moodle publishes no schema, and no PHP/Moodle
  is installed here), so the document is checked against the rules of Moodle's XML importer and
  question-type validation: known types, the grade list, one 100% answer for single choice, positive
  fractions adding up to 100% for multiple choice, numeric tolerances, matching sizes.
- QTI: the zip's ``imsmanifest.xml`` must reference every file and every file must exist; the
  assessment must follow the content model of the IMS QTI 1.2.1 ASI DTD (the one Canvas's QTI
  migration tool ships) for every element used, and Canvas's importer expectations: its question
  types, numeric ``points_possible``, unique item idents, a ``varequal`` setting SCORE to 100 for
  choice items, true/false items with exactly the two answers True and False.

Without node or gift-pegjs the GIFT test skips, or FAILS when ``CI=true``.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from quizzes.bank import Bank
from quizzes.export import export_bank, quiz_questions
from quizzes.gift import category_of, ordering_prompt
from quizzes.markup import inline_html, plain, to_html
from quizzes.quiz import find_quiz
from quizzes.schema import MatchingAnswer, OrderingAnswer, Question
from quizzes.scoring import numeric_bounds
from quizzes.variants import fixed_variant
from tests.services import unavailable

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- Moodle's grade list


def moodle_grades() -> list[float]:
    """Moodle's grade options (question_bank::fraction_options_full): 0, +-1 and +-p/q for q <= 6,
    +-p/10, +-1/q for q <= 10, +-1/20."""
    raw = {Fraction(p, q) for q in range(1, 7) for p in range(1, q)}
    raw |= (
        {Fraction(p, 10) for p in range(1, 10)} | {Fraction(1, q) for q in range(1, 11)} | {Fraction(1, 20)}
    )
    values = {float(f) for f in raw} | {0.0, 1.0}
    return sorted(values | {-v for v in values})


def in_grade_list(fraction: float) -> bool:
    return any(abs(fraction - g) < 1e-6 for g in moodle_grades())


def test_moodle_grade_list_is_the_documented_one() -> None:
    grades = moodle_grades()
    assert len(grades) == 2 * 19 + 3  # 19 fractions in (0, 1), each signed, plus 0 and +-1
    assert in_grade_list(-1 / 3) and in_grade_list(1 / 7) and not in_grade_list(0.35)


# ---------------------------------------------------------------- GIFT with gift-pegjs

PARSE_JS = """
const parser = require(process.argv[2]);
const source = require("fs").readFileSync(process.argv[3], "utf8");
try {
  process.stdout.write(JSON.stringify(parser.parse(source)));
} catch (e) {
  process.stderr.write("gift-pegjs: " + e.message + " at " + JSON.stringify(e.location && e.location.start));
  process.exit(3);
}
"""


@pytest.fixture(scope="module")
def gift_pegjs() -> Path:
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed")
    package = Path(os.environ.get("DLGRADE_GIFT_PEGJS", REPO / ".cache/node/node_modules/gift-pegjs"))
    if not (package / "package.json").is_file():
        unavailable(
            f"gift-pegjs is not installed at {package} (npm install --prefix .cache/node gift-pegjs@1.0.2)"
        )
    return package


def parse_gift(package: Path, source: str, tmp_path: Path) -> list[dict[str, Any]]:
    """The question objects gift-pegjs makes of ``source``."""
    script, data = tmp_path / "parse.js", tmp_path / "export.gift"
    script.write_text(PARSE_JS)
    data.write_text(source, encoding="utf-8")
    done = subprocess.run(
        ["node", str(script), str(package), str(data)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    parsed: list[dict[str, Any]] = json.loads(done.stdout)
    return parsed


def _unmark(text: str) -> str:
    return re.sub(r"&&(\d+);", lambda m: chr(int(m.group(1))), text)


def _check_gift_question(q: Question, parsed: dict[str, Any]) -> None:
    r = fixed_variant(q)
    extra = f"\n\n{ordering_prompt(len(q.answer.order))}" if isinstance(q.answer, OrderingAnswer) else ""
    assert parsed["stem"] == {"format": "html", "text": to_html(f"**{r.title}**\n\n{r.text}{extra}")}, q.id
    assert parsed["globalFeedback"]["text"] == to_html(q.feedback), q.id
    kind = parsed["type"]
    if q.type in ("single", "multiple"):
        assert kind == "MC", q.id
        choices = parsed["choices"]
        assert [c["text"]["text"] for c in choices] == [inline_html(c.text) for c in q.choices], q.id
        assert [(c["feedback"] or {}).get("text", "") for c in choices] == [
            inline_html(c.feedback) for c in q.choices
        ], q.id
        if q.type == "single":
            assert [c["isCorrect"] for c in choices] == [c.correct for c in q.choices], q.id
        else:
            weights = [c["weight"] / 100 for c in choices]
            assert weights == pytest.approx([c.fraction for c in q.choices], abs=1e-6), q.id
            assert sum(w for w in weights if w > 0) == pytest.approx(1, abs=1e-4), q.id
            assert all(in_grade_list(w) for w in weights), (q.id, weights)
    elif q.type == "truefalse":
        assert kind == "TF" and parsed["isTrue"] is q.answer.value, q.id  # type: ignore[union-attr]
    elif q.type == "numeric":
        assert r.value is not None
        lo, hi = numeric_bounds(r.value, q.answer)  # type: ignore[arg-type]
        choice = parsed["choices"]
        assert kind == "Numerical" and choice["type"] == "range", q.id
        assert choice["number"] == pytest.approx(r.value, rel=1e-9), q.id
        assert choice["range"] == pytest.approx((hi - lo) / 2, rel=1e-9, abs=1e-15), q.id
    elif q.type == "short":
        assert kind == "Short", q.id
        assert [c["text"]["text"] for c in parsed["choices"]] == [plain(a) for a in q.answer.accept]  # type: ignore[union-attr]
        assert all(c["isCorrect"] for c in parsed["choices"]), q.id
    elif q.type in ("matching", "ordering"):
        assert kind == "Matching", q.id
        # gift-pegjs 1.0.2 leaves its internal marker of an escaped character (``&&123;`` for ``\\{``)
        # in match answers; decoding it gives the text Moodle's importer reads.
        got = [(p["subquestion"]["text"], _unmark(p["subanswer"])) for p in parsed["matchPairs"]]
        if isinstance(q.answer, MatchingAnswer):
            want = [(inline_html(left), plain(right)) for left, right in q.answer.pairs]
            want += [("", plain(d)) for d in q.answer.distractors]
        else:
            assert isinstance(q.answer, OrderingAnswer)
            want = [(inline_html(item), str(i)) for i, item in enumerate(q.answer.order, start=1)]
        assert got == want, q.id
    else:
        assert kind == "Essay", q.id


def test_gift_export_parses_with_gift_pegjs(bank: Bank, gift_pegjs: Path, tmp_path: Path) -> None:
    parsed = parse_gift(gift_pegjs, export_bank(bank, "gift").content.decode("utf-8"), tmp_path)
    categories = [p["title"] for p in parsed if p["type"] == "Category"]
    questions = {p["title"]: p for p in parsed if p["type"] != "Category"}
    assert len(questions) == len(parsed) - len(categories) == len(bank.questions)
    assert set(questions) == set(bank.questions)
    assert set(categories) == {category_of(q) for q in bank.questions.values()}
    assert len(categories) == len(set(categories))  # one block per category
    for qid, q in bank.questions.items():
        _check_gift_question(q, questions[qid])


def test_gift_quiz_export_parses_with_gift_pegjs(bank: Bank, gift_pegjs: Path, tmp_path: Path) -> None:
    quiz = find_quiz("week-05")
    parsed = parse_gift(gift_pegjs, export_bank(bank, "gift", quiz).content.decode("utf-8"), tmp_path)
    titles = [p["title"] for p in parsed if p["type"] != "Category"]
    assert sorted(titles) == sorted(q.id for q in quiz_questions(quiz, bank))


# ---------------------------------------------------------------- Moodle XML, by the importer's rules

MOODLE_QTYPES = {"category", "multichoice", "truefalse", "numerical", "shortanswer", "matching", "essay"}


def test_moodle_xml_follows_the_importer_rules(bank: Bank) -> None:
    root = ET.fromstring(export_bank(bank, "moodle-xml").content)
    assert root.tag == "quiz"
    seen: set[str] = set()
    for element in root.findall("question"):
        qtype = element.get("type")
        assert qtype in MOODLE_QTYPES, qtype
        if qtype == "category":
            assert (element.findtext("category/text") or "").startswith("$course$/top/")
            continue
        name = element.findtext("name/text") or ""
        assert name and element.find("questiontext").get("format") == "html"  # type: ignore[union-attr]
        assert element.findtext("questiontext/text"), name
        assert float(element.findtext("defaultgrade") or "0") > 0, name
        idnumber = element.findtext("idnumber") or ""
        assert idnumber not in seen, idnumber  # Moodle refuses a duplicate idnumber in a category
        seen.add(idnumber)
        answers = element.findall("answer")
        fractions = [float(a.get("fraction", "nan")) / 100 for a in answers]
        assert all(in_grade_list(f) for f in fractions), (name, fractions)
        if qtype == "multichoice":
            assert len(answers) >= 2 and all(a.findtext("text") for a in answers), name
            if element.findtext("single") == "true":
                assert fractions.count(1.0) == 1 and max(fractions) == 1.0, name
            else:
                assert sum(f for f in fractions if f > 0) == pytest.approx(1, abs=1e-4), name
        elif qtype == "truefalse":
            assert sorted(a.findtext("text") or "" for a in answers) == ["false", "true"], name
            assert sorted(fractions) == [0.0, 1.0], name
        elif qtype == "numerical":
            assert len(answers) == 1 and fractions == [1.0], name
            float(answers[0].findtext("text") or "x")
            assert float(answers[0].findtext("tolerance") or "x") >= 0, name
        elif qtype == "shortanswer":
            assert answers and fractions.count(1.0) >= 1 and element.findtext("usecase") in ("0", "1"), name
        elif qtype == "matching":
            subs = element.findall("subquestion")
            asked = [s for s in subs if s.findtext("text")]
            assert len(asked) >= 2 and len(subs) >= 3, name  # Moodle: 2 questions and 3 answers at least
            assert all(s.findtext("answer/text") for s in subs), name
        else:
            assert element.findtext("responseformat") == "editor" and element.findtext("graderinfo/text")


# ---------------------------------------------------------------- QTI 1.2.1 (Canvas)

# Content models of the IMS QTI 1.2.1 ASI DTD for the elements the export uses, as regular
# expressions over the child element names (each followed by a space).
CONTENT = {
    "questestinterop": r"(qticomment )?(assessment |(item |section )+)",
    "assessment": r"(qticomment )?(duration )?(qtimetadata )*(objectives )*(assessmentcontrol )*(rubric )*"
    r"(presentation_material )?(outcomes_processing )*(assessfeedback )*(selection_ordering )?(reference )?"
    r"((sectionref |section )+)",
    "section": r"(qticomment )?(duration )?(qtimetadata )*(objectives )*(sectioncontrol )*(rubric )*"
    r"(presentation_material )?(outcomes_processing )*(sectionfeedback )*(selection_ordering )?(reference )?"
    r"(itemref |item |sectionref |section )*",
    "item": r"(qticomment )?(duration )?(itemmetadata )?(objectives )*(itemcontrol )*((itemrubric |rubric ))*"
    r"(presentation )?(resprocessing )*(itemfeedback )*(reference )?",
    "itemmetadata": r"(qtimetadata )*",
    "qtimetadata": r"(vocabulary )?(qtimetadatafield )+",
    "qtimetadatafield": r"fieldlabel fieldentry ",
    "fieldlabel": "",
    "fieldentry": "",
    "presentation": r"(qticomment )?(flow |(material |response_lid |response_xy |response_str |response_num "
    r"|response_grp )+)",
    "material": r"(qticomment )?((mattext |matemtext |matimage |mataudio |matvideo |matapplet "
    r"|matapplication |matref |matbreak )+)(altmaterial )*",
    "mattext": "",
    "response_lid": r"((material |material_ref ))?(render_choice |render_hotspot |render_slider |render_fib )"
    r"((material |material_ref ))?",
    "response_str": r"((material |material_ref ))?(render_choice |render_hotspot |render_slider |render_fib )"
    r"((material |material_ref ))?",
    "render_choice": r"(material |material_ref |response_label |flow_label )*(response_na )?",
    "render_fib": r"(material |material_ref |response_label |flow_label )*(response_na )?",
    "response_label": r"(qticomment |material |material_ref |flow_mat )*",
    "resprocessing": r"(qticomment )?outcomes (respcondition )+",
    "outcomes": r"(qticomment )?(decvar (interpretvar )*)+",
    "decvar": "",
    "respcondition": r"(qticomment )?conditionvar (setvar )*(displayfeedback )*",
    "conditionvar": r"((not |and |or |unanswered |other |varequal |varlt |varlte |vargt |vargte |varsubset "
    r"|varinside |varsubstring )+)",
    "and": r"((not |and |or |unanswered |other |varequal |varlt |varlte |vargt |vargte )+)",
    "or": r"((not |and |or |unanswered |other |varequal |varlt |varlte |vargt |vargte )+)",
    "not": r"(not |and |or |unanswered |other |varequal |varlt |varlte |vargt |vargte )",
    "varequal": "",
    "vargte": "",
    "varlte": "",
    "other": "",
    "setvar": "",
    "displayfeedback": "",
    "itemfeedback": r"((flow_mat |material |solution |hint )+)",
    "flow_mat": r"(qticomment )?((flow_mat |material |material_ref )+)",
}
REQUIRED = {
    "assessment": {"ident"},
    "section": {"ident"},
    "item": {"ident"},
    "response_lid": {"ident"},
    "response_str": {"ident"},
    "response_label": {"ident"},
    "varequal": {"respident"},
    "vargte": {"respident"},
    "varlte": {"respident"},
    "displayfeedback": {"linkrefid"},
    "itemfeedback": {"ident"},
}
ENUMS = {
    "rcardinality": {"Single", "Multiple", "Ordered"},
    "continue": {"Yes", "No"},
    "action": {"Set", "Add", "Subtract", "Multiply", "Divide"},
    "vartype": {"Integer", "String", "Decimal", "Scientific", "Boolean", "Enumerated", "Set"},
    "fibtype": {"String", "Integer", "Decimal", "Scientific"},
    "feedbacktype": {"Response", "Solution", "Hint"},
    "rshuffle": {"Yes", "No"},
}
CANVAS_TYPES = {
    "multiple_choice_question",
    "true_false_question",
    "multiple_answers_question",
    "short_answer_question",
    "essay_question",
    "matching_question",
    "numerical_question",
    "fill_in_multiple_blanks_question",
    "multiple_dropdowns_question",
    "file_upload_question",
    "text_only_question",
    "calculated_question",
}
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
CP = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"


def check_dtd(element: ET.Element) -> None:
    """``element`` and its descendants follow the QTI 1.2.1 content models and attribute rules."""
    tag = element.tag.removeprefix(QTI)
    assert tag in CONTENT, f"<{tag}> is not an element the export should use"
    children = "".join(child.tag.removeprefix(QTI) + " " for child in element)
    assert re.fullmatch(CONTENT[tag], children), f"<{tag}> children {children!r} break the DTD"
    if CONTENT[tag] == "" and tag not in ("other",):
        assert not list(element), f"<{tag}> holds text only"
    missing = REQUIRED.get(tag, set()) - set(element.attrib)
    assert not missing, f"<{tag}> lacks {missing}"
    for name, value in element.attrib.items():
        if name in ENUMS and not (tag == "setvar" and name == "varname"):
            assert value in ENUMS[name], f"<{tag} {name}={value!r}>"
    for child in element:
        check_dtd(child)


def _qti_package(content: bytes) -> tuple[zipfile.ZipFile, ET.Element, ET.Element]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    manifest = ET.fromstring(archive.read("imsmanifest.xml"))
    referenced = {f.get("href") for f in manifest.iter(f"{CP}file")}
    referenced |= {r.get("href") for r in manifest.iter(f"{CP}resource") if r.get("href")}
    names = set(archive.namelist())
    assert referenced <= names, f"manifest references missing files: {referenced - names}"
    assert names - {"imsmanifest.xml"} == referenced, "files in the zip that the manifest does not list"
    ids = {r.get("identifier") for r in manifest.iter(f"{CP}resource")}
    assert all(d.get("identifierref") in ids for d in manifest.iter(f"{CP}dependency"))
    (qti,) = [r for r in manifest.iter(f"{CP}resource") if r.get("type") == "imsqti_xmlv1p2"]
    href = qti.find(f"{CP}file").get("href")  # type: ignore[union-attr]
    assessment = ET.fromstring(archive.read(str(href)))
    meta_name = next(n for n in names if n.endswith("assessment_meta.xml"))
    return archive, assessment, ET.fromstring(archive.read(meta_name))


def _meta(item: ET.Element) -> dict[str, str]:
    return {
        f.findtext(f"{QTI}fieldlabel") or "": f.findtext(f"{QTI}fieldentry") or ""
        for f in item.iter(f"{QTI}qtimetadatafield")
    }


def check_canvas_item(item: ET.Element) -> str:
    """Canvas's importer expectations for one item; returns its question type."""
    meta = _meta(item)
    qtype = meta["question_type"]
    assert qtype in CANVAS_TYPES, qtype
    assert float(meta["points_possible"]) > 0
    labels = {lab.get("ident"): lab for lab in item.iter(f"{QTI}response_label")}
    full = [
        c for c in item.iter(f"{QTI}respcondition") if (c.findtext(f"{QTI}setvar") or "").strip() == "100"
    ]
    if qtype in ("multiple_choice_question", "multiple_answers_question", "true_false_question"):
        assert full, f"{item.get('title')}: no answer sets SCORE to 100 (Canvas: import_error)"
        for cond in full:
            for var in cond.iter(f"{QTI}varequal"):
                assert var.text in labels, f"{item.get('title')}: varequal {var.text!r} is no answer"
    if qtype == "true_false_question":
        texts = sorted((lab.findtext(f".//{QTI}mattext") or "").lower() for lab in labels.values())
        assert texts == ["false", "true"], texts
    if qtype == "numerical_question":
        assert item.find(f".//{QTI}render_fib").get("fibtype") == "Decimal"  # type: ignore[union-attr]
    return qtype


def test_qti_package_follows_the_dtd_and_canvas(bank: Bank) -> None:
    _, assessment, meta = _qti_package(export_bank(bank, "qti").content)
    check_dtd(assessment)
    items = list(assessment.iter(f"{QTI}item"))
    assert len({i.get("ident") for i in items}) == len(items) == len(bank.questions)
    types = {check_canvas_item(i) for i in items}
    assert types >= {"multiple_choice_question", "numerical_question", "matching_question", "essay_question"}
    points = sum(float(_meta(i)["points_possible"]) for i in items)
    canvas = "{http://canvas.instructure.com/xsd/cccv1p0}"
    assert float(meta.findtext(f"{canvas}points_possible") or "0") == pytest.approx(points)


def test_qti_quiz_package(bank: Bank) -> None:
    quiz = find_quiz("week-05")
    archive, assessment, _ = _qti_package(export_bank(bank, "qti", quiz).content)
    check_dtd(assessment)
    assert sorted(archive.namelist()) == [
        "imsmanifest.xml",
        "week-05/assessment_meta.xml",
        "week-05/week-05.xml",
    ]
    assert [i.get("title") for i in assessment.iter(f"{QTI}item")] == [
        q.id for q in quiz_questions(quiz, bank)
    ]


def test_dtd_check_catches_a_broken_item() -> None:
    item = ET.fromstring(
        f'<item xmlns="{QTI[1:-1]}" ident="x"><resprocessing><outcomes><decvar/></outcomes></resprocessing>'
        "<presentation><material><mattext>t</mattext></material></presentation></item>"
    )
    with pytest.raises(AssertionError, match="break the DTD"):
        check_dtd(item)  # presentation after resprocessing, and resprocessing without respcondition
