"""SQLite's WAL checkpoints run on a thread of their own, not in a writer's commit.

In processes of their own on a file database (the in-memory test database has no WAL): 5 MB
written in 50 commits (past SQLite's default of 1,000 pages, under weizhi's 4,000) leave the
database file as it was while the checkpoint thread sleeps, because no commit checkpoints;
with the thread awake, they are copied into the database file within moments.
"""

import json
from pathlib import Path

from tests.base import MANAGE_PY, embedded_env, output_of, python_process

SCRIPT = """
import json, os, time
from pathlib import Path
from django.db import connection
from weizhi.core import walcheckpoint
walcheckpoint.INTERVAL_SECONDS = float(os.environ["INTERVAL"])  # before the first connection
db = Path(os.environ["WEIZHI_VAR_DIR"]) / "weizhi.sqlite3"
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE scratch (body BLOB)")
    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = db.stat().st_size
    for _ in range(50):  # each its own commit, as the write turn's batches are
        cursor.execute("INSERT INTO scratch VALUES (randomblob(100000))")
deadline = time.monotonic() + float(os.environ["WAIT"])
while db.stat().st_size < before + 5_000_000 and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({"before": before, "after": db.stat().st_size}))
"""


def sizes(tmp_path: Path, *, interval: float, wait: float) -> dict:
    env = embedded_env(tmp_path, TASKS_BACKEND="db", INTERVAL=str(interval), WAIT=str(wait))
    out = output_of(python_process(MANAGE_PY, "shell", "-v0", "-c", SCRIPT, env=env))
    return json.loads(out.strip().splitlines()[-1])


def test_commits_do_not_checkpoint(tmp_path):
    found = sizes(tmp_path, interval=3600, wait=0)  # the thread sleeps through it
    assert found["after"] == found["before"]  # 5 MB of WAL, and no commit copied it


def test_the_checkpoint_thread_copies_the_wal_into_the_database(tmp_path):
    found = sizes(tmp_path, interval=0.2, wait=30)
    assert found["after"] >= found["before"] + 5_000_000
