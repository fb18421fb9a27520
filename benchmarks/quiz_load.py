"""Load test of the quiz server: 200 students answer and submit within the same 10 seconds.

For each backend (a new SQLite file, then a new PostgreSQL database) the real server is started as a
subprocess (`dlgrade quiz serve`); simulated students (asyncio + aiohttp, one cookie jar each) open
their link, start, save every answer (one request per answer, like the page's autosave), and submit,
their starts spread over the first half of the window. Then the database is counted: every answer
must be there exactly once with the value sent last, every attempt submitted and scored.

    python benchmarks/quiz_load.py [--students 200] [--window 10] [--backend sqlite --backend postgresql]
                                   [--plot quiz_load.png]

Prints, per backend: lost / duplicated / wrong answers (all must be 0), p50 and p99 latency per
request kind, throughput, and the time the last student finished.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import psutil
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from quizzes.auth import student_token  # noqa: E402
from quizzes.bank import load_bank  # noqa: E402
from quizzes.quiz import build_paper, load_quiz  # noqa: E402
from quizzes.store import SqlAttemptStore  # noqa: E402
from quizzes.tables import QuizAttemptRecord, QuizResponseRecord  # noqa: E402

SECRET = "benchmark-secret-" + "0" * 40
QUESTIONS = [
    "autoencoder-definition",  # single
    "conv-output-size",  # numeric, parametrized
    "adam-defaults",  # multiple
    "autograd-sigmoid-identity",  # true/false
    "adam-bias-correction-v",  # numeric
]
KINDS = ("page", "start", "answer", "submit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def database(backend: str, directory: Path):
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'gradebook.db'}"
        return
    from tests.grader.conftest import postgres_database, postgres_unavailable

    reason = postgres_unavailable()
    if reason:
        raise SystemExit(reason)
    with postgres_database("dlgrade_quiz_load") as url:
        yield url


@contextmanager
def server(db_url: str, quizzes: Path, port: int, processes: int, cpu: dict):
    env = {**os.environ, "DLGRADE_QUIZ_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    env.pop("JUPYTERHUB_API_TOKEN", None)
    command = [sys.executable, "-c", "from grader.cli import main; main()", "quiz", "serve", "--db", db_url]
    command += ["--port", str(port), "--quizzes", str(quizzes), "--course-id", "load"]
    command += ["--processes", str(processes)]
    log = (quizzes / "server.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit((quizzes / "server.log").read_text()) from None
                time.sleep(0.2)
        watched = psutil.Process(process.pid)
        before = _cpu(watched)
        yield process
        cpu["server_cpu_s"] = _cpu(watched) - before
    finally:
        process.terminate()
        process.wait(20)
        log.close()


def _cpu(process: psutil.Process) -> float:
    """CPU seconds of the server and its forked children."""
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        times = p.cpu_times()
        total += times.user + times.system
    return total


async def student(base: str, sid: str, answers: dict, delay: float, latencies: dict, errors: list) -> float:
    await asyncio.sleep(delay)
    jar = aiohttp.CookieJar(unsafe=True)  # cookies for 127.0.0.1
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as session:

        async def timed(kind: str, method: str, url: str, **kw) -> tuple[int, str]:
            t0 = time.perf_counter()
            async with session.request(method, url, **kw) as r:
                text = await r.text()
            latencies[kind].append(time.perf_counter() - t0)
            if r.status != 200:
                errors.append(f"{sid} {kind} {r.status} {text[:200]}")
            return r.status, text

        link = f"{base}quiz/load?student={sid}&token={student_token(SECRET.encode(), sid)}"
        _, page = await timed("page", "GET", link)
        found = re.search(r'type="application/json">(.*?)</script>', page, re.S)
        if not found:
            errors.append(f"{sid}: no page config")
            return time.perf_counter()
        xsrf = json.loads(found.group(1).replace("<\\/", "</"))["xsrf"]
        headers = {"X-XSRFToken": xsrf}
        api = f"{base}api/quiz/load"
        await timed("start", "POST", f"{api}/start", json={}, headers=headers)
        for k, (qid, response) in enumerate(answers.items()):
            body = {"attempt": 1, "question": qid, "response": response, "revision": k + 1}
            await timed("answer", "POST", f"{api}/answer", json=body, headers=headers)
        await timed("submit", "POST", f"{api}/submit", json={"attempt": 1}, headers=headers)
    return time.perf_counter()


def check_database(db_url: str, expected: dict[str, dict]) -> dict[str, int]:
    store = SqlAttemptStore(db_url, "load")
    try:
        attempts = {a.student_id: a for a in store.attempts_of_quiz("load")}
        results = {r.attempt.student_id: r for r in store.results("load")}
        t, r = QuizAttemptRecord, QuizResponseRecord
        with store._engine.connect() as connection:  # one GROUP BY to catch duplicates
            dup = connection.execute(
                select(func.count()).select_from(
                    select(r.attempt_id, r.question_id)
                    .join(t, t.id == r.attempt_id)
                    .where(t.quiz_id == "load")
                    .group_by(r.attempt_id, r.question_id)
                    .having(func.count() > 1)
                    .subquery()
                )
            ).scalar_one()
        _, rows = store.count_rows("load")
    finally:
        store.close()
    lost = wrong = unsubmitted = 0
    for sid, answers in expected.items():
        got = attempts.get(sid)
        if got is None:
            lost += len(answers)
            continue
        for qid, response in answers.items():
            if qid not in got.responses:
                lost += 1
            elif got.responses[qid] != response:
                wrong += 1
        result = results[sid]
        if got.submitted_at is None or result.status != "graded" or result.score != result.max_score:
            unsubmitted += 1
    return {
        "answers_expected": sum(len(a) for a in expected.values()),
        "answer_rows": rows,
        "lost": lost,
        "duplicated": int(dup) + max(0, rows - sum(len(a) for a in expected.values())),
        "wrong": wrong,
        "not_submitted_or_not_full_marks": unsubmitted,
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_load(base: str, expected: dict[str, dict], window: float) -> tuple[dict, list, float, float]:
    latencies: dict[str, list[float]] = {k: [] for k in KINDS}
    errors: list[str] = []
    rng = random.Random(7)
    t0 = time.perf_counter()
    ends = await asyncio.gather(
        *(
            student(base, sid, answers, rng.uniform(0, window / 2), latencies, errors)
            for sid, answers in expected.items()
        )
    )
    return latencies, errors, t0, max(ends) - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--processes", type=int, default=1, help="Server processes (`quiz serve --processes`)."
    )
    parser.add_argument("--plot", type=Path, default=None, help="PNG of the latency distributions.")
    args = parser.parse_args()
    backends = args.backend or ["sqlite", "postgresql"]
    bank = load_bank()
    all_latencies = {}
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        quiz_path = folder / "load.yaml"
        quiz_path.write_text(
            "title: Load\ntime_limit_s: 360\nfeedback: immediately\nquestions:\n"
            + "".join(f"  - id: {q}\n" for q in QUESTIONS)
        )
        quiz = load_quiz(quiz_path)
        expected = {}
        for k in range(args.students):
            paper = build_paper(quiz, bank, f"s{k:04d}")
            expected[f"s{k:04d}"] = {i.rendered.id: i.rendered.correct_response() for i in paper.items}
            # numbers travel as the page sends them: text
            expected[f"s{k:04d}"] = {
                q: (str(v) if isinstance(v, float) else v) for q, v in expected[f"s{k:04d}"].items()
            }
        for backend in backends:
            work = folder / backend
            work.mkdir()
            (work / "load.yaml").write_text(quiz_path.read_text())
            with database(backend, work) as db_url:
                port = free_port()
                cpu: dict = {}
                with server(db_url, work, port, args.processes, cpu):
                    latencies, errors, _, elapsed = asyncio.run(
                        run_load(f"http://127.0.0.1:{port}/", expected, args.window)
                    )
                counts = check_database(db_url, expected)
            total = sum(len(v) for v in latencies.values())
            print(
                f"\n== {backend}: {args.students} students, {total} requests in {elapsed:.2f} s "
                f"(window {args.window:g} s) -> {total / elapsed:.0f} requests/s; "
                f"server {args.processes} process(es), {cpu.get('server_cpu_s', 0):.1f} CPU s "
                f"({cpu.get('server_cpu_s', 0) / total * 1000:.2f} ms per request)"
            )
            print("   " + ", ".join(f"{k}={v}" for k, v in counts.items()))
            for kind in KINDS:
                values = latencies[kind]
                print(
                    f"   {kind:7s} n={len(values):5d}  p50={pct(values, 0.5):7.1f} ms  "
                    f"p99={pct(values, 0.99):7.1f} ms  max={max(values) * 1000:7.1f} ms  "
                    f"mean={statistics.fmean(values) * 1000:7.1f} ms"
                )
            if errors:
                print(f"   {len(errors)} failed request(s), first: {errors[0]}")
            bad = any(counts[k] for k in ("lost", "duplicated", "wrong", "not_submitted_or_not_full_marks"))
            within = elapsed <= args.window
            print(
                f"   all done within the window: {within}; lost/duplicated answers: "
                f"{counts['lost']}/{counts['duplicated']}"
            )
            failed = failed or bool(bad) or bool(errors) or not within
            all_latencies[backend] = latencies
    if args.plot:
        plot(all_latencies, args.plot)
        print(f"\nplot: {args.plot}")
    sys.exit(1 if failed else 0)


def plot(all_latencies: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(all_latencies), figsize=(6 * len(all_latencies), 4), squeeze=False)
    for ax, (backend, latencies) in zip(axes[0], all_latencies.items(), strict=True):
        for kind in KINDS:
            ax.hist([v * 1000 for v in latencies[kind]], bins=40, alpha=0.5, label=kind)
        ax.set_title(f"quiz server on {backend}")
        ax.set_xlabel("latency (ms)")
        ax.set_ylabel("requests")
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
