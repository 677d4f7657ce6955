"""SQLite's WAL checkpoints run on a thread of their own, not in a writer's commit.

In a process of its own on a file database (the in-memory test database has no WAL): 5 MB
written in 50 commits (past SQLite's default of 1,000 pages, under weizhi's 10,000) leave
the database file as it was, because no commit checkpoints; once the process has taken the
write turn, its checkpoint thread copies them into the database file within a few seconds.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = """
import json, os, time
from pathlib import Path
from django.db import connection
from weizhi.core import walcheckpoint, writequeue
walcheckpoint.INTERVAL_SECONDS = 0.2
db = Path(os.environ["WEIZHI_VAR_DIR"]) / "weizhi.sqlite3"
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE scratch (body BLOB)")
    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = db.stat().st_size
    for _ in range(50):  # each its own commit, as the write turn's batches are
        cursor.execute("INSERT INTO scratch VALUES (randomblob(100000))")
after_commits = db.stat().st_size
with writequeue.write_turn():
    pass
deadline = time.monotonic() + 10
while db.stat().st_size < before + 5_000_000 and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({"before": before, "after_commits": after_commits,
                  "after_thread": db.stat().st_size}))
"""


def test_commits_leave_checkpoints_to_the_checkpoint_thread(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(WEIZHI_VAR_DIR=str(tmp_path), TASKS_BACKEND="db")
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-v0", "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sizes = json.loads(done.stdout.strip().splitlines()[-1])
    assert sizes["after_commits"] == sizes["before"]  # 5 MB of WAL, no commit checkpointed
    assert sizes["after_thread"] >= sizes["before"] + 5_000_000  # the thread copied them
