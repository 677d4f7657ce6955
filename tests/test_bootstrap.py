"""`make run`'s set-up, as a fresh installation runs it: `manage.py bootstrap` in a new var
directory on SQLite (the embedded default) migrates, loads every demo and creates the first
administrator; run again (every `make run`) it changes nothing and says so."""

import sqlite3
from pathlib import Path

from tests.base import MANAGE_PY, embedded_env, output_of, python_process

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
    drop = ("TASKS_BACKEND", "SECRET_KEY", "MEDIA_ROOT", "SITE_URL")
    env = embedded_env(var_dir, drop=drop, PYTHONUNBUFFERED="1")
    return output_of(python_process(MANAGE_PY, "bootstrap", env=env), timeout=600)


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
