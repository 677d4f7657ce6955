"""`make run`'s set-up, as a fresh installation runs it: `manage.py bootstrap` in a new var
directory on SQLite (the embedded default) migrates, loads every demo and creates the first
administrator; run again (every `make run`) it changes nothing and says so."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# One row count per demo that bootstrap loads: each must be there after the first run and
# the same after the second.
COUNTED = (
    "wagtailcore_page",
    "audience_member",
    "wechat_replyrule",
    "inbox_item",
    "voices_comment",
    "surveys_survey",
    "quiz_question",
    "readaloud_clip",
    "notes_note",
    "analytics_dailypagesummary",
    "auth_user",
)


def bootstrap(var_dir: Path) -> str:
    drop = {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "SECRET_KEY", "MEDIA_ROOT", "SITE_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(WEIZHI_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "bootstrap"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def counts(var_dir: Path) -> dict[str, int]:
    with sqlite3.connect(var_dir / "weizhi.sqlite3") as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}  # noqa: S608


def test_a_fresh_installation_is_set_up_once_and_a_second_run_changes_nothing(tmp_path):
    first = bootstrap(tmp_path)
    assert "已创建管理员账号：admin" in first
    after_first = counts(tmp_path)
    empty = [table for table, n in after_first.items() if n == 0]
    assert not empty, f"bootstrap left these demo tables empty: {empty}"
    second = bootstrap(tmp_path)
    assert "管理员账号已存在" in second and "已创建管理员账号" not in second
    assert counts(tmp_path) == after_first
