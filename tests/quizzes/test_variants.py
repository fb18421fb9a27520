"""Variants: reproducible per (quiz, student, question), different across students, text filled in."""

from __future__ import annotations

import subprocess
import sys

from quizzes.variants import derive_seed, fill, format_number, render, variant_seed


def test_seeds_are_stable_across_processes():
    here = variant_seed("week-08", "alice", "conv-output-size")
    code = (
        "from quizzes.variants import variant_seed; "
        "print(variant_seed('week-08', 'alice', 'conv-output-size'))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
        cwd=".",
    )
    assert int(other.stdout) == here
    assert here == derive_seed("variant", "week-08", "alice", "conv-output-size")


def test_seed_depends_on_every_part():
    base = variant_seed("q1", "alice", "x")
    assert (
        len(
            {
                base,
                variant_seed("q2", "alice", "x"),
                variant_seed("q1", "bob", "x"),
                variant_seed("q1", "alice", "y"),
                variant_seed("q1", "alice", "x", attempt=2),
            }
        )
        == 5
    )
    assert variant_seed("q1", "alice", "x", attempt=1) == base


def test_same_student_same_variant_and_students_differ(bank):
    q = bank.get("conv-output-size")
    a1 = render(q, variant_seed("week-08", "alice", q.id))
    a2 = render(q, variant_seed("week-08", "alice", q.id))
    assert a1 == a2 and a1.text == a2.text and a1.value == a2.value
    variants = {render(q, variant_seed("week-08", f"s{i}", q.id)).text for i in range(30)}
    assert len(variants) > 20


def test_rendered_text_and_answer_agree(bank):
    q = bank.get("conv-output-size")
    r = render(q, 12345)
    n, f, p, s = (r.params[k] for k in "nfps")
    assert f"width {n} is convolved with a {f}x{f} filter, padding {p} and stride {s}" in r.text
    assert r.value == (n + 2 * p - f) // s + 1
    assert "{" not in r.text


def test_constraints_are_respected(bank):
    q = bank.get("last-minibatch-size")
    for seed in range(200):
        r = render(q, seed)
        assert r.params["m"] % r.params["size"] != 0
        assert 0 < r.value < r.params["size"]


def test_choices_shuffled_per_student_but_not_when_disabled(bank):
    q = bank.get("dropout-phase")
    orders = {render(q, variant_seed("w", f"s{i}", q.id)).choice_order for i in range(20)}
    assert len(orders) > 1
    assert render(q, 5, shuffle_choices=False).choice_order == tuple(c.id for c in q.choices)


def test_public_view_hides_answers(bank):
    for qid in ("dropout-phase", "gan-analogy", "nn-history-order", "conv-output-size"):
        public = render(bank.get(qid), 3).public()
        text = repr(public)
        assert "correct" not in text and "feedback" not in text and public["id"] == qid


def test_fill_and_format():
    assert fill("$b^{[l]}$ with {n} and {m}", {"n": 3}) == "$b^{[l]}$ with 3 and {m}"
    assert (
        format_number(16.0) == "16" and format_number(0.1 + 0.2) == "0.3" and format_number(2.5, 3) == "2.500"
    )
