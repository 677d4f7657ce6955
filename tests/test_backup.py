"""`manage.py backup` and `manage.py restore` end to end, each in its own process as an
operator runs them: a populated instance is backed up and restored into a fresh one, and every
table and every file must come back the same. On PostgreSQL when DATABASE_URL is set."""

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith("postgres")


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def manage(env: dict, *args: str) -> str:
    result = run(env, *args)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


class Instance:
    """One installation: its var directory and, on PostgreSQL, a database of its own."""

    def __init__(self, var_dir: Path, name: str) -> None:
        var_dir.mkdir(parents=True, exist_ok=True)
        self.var_dir = var_dir
        drop = {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "SECRET_KEY", "MEDIA_ROOT"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(WEIZHI_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
        self.url = ""
        if ON_POSTGRES:
            parts = urlsplit(DATABASE_URL)
            self.url = urlunsplit(parts._replace(path=f"{parts.path}_{name}"))
            # Scaled mode needs the key from the environment; the runbook keeps it the same.
            self.env.update(DATABASE_URL=self.url, SECRET_KEY="backup-test-" + "k" * 40)
            _recreate_database(self.url)

    def tables(self) -> dict[str, list[str]]:
        """Every table's rows, in a stable order, as text."""
        if ON_POSTGRES:
            import psycopg

            with psycopg.connect(self.url) as db:
                names = [
                    row[0]
                    for row in db.execute(
                        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                    )
                ]
                return _rows(db, names)
        db = sqlite3.connect(self.var_dir / "weizhi.sqlite3")
        try:
            names = [
                row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            return _rows(db, names)
        finally:
            db.close()

    def files(self) -> dict[str, str]:
        """sha256 of every uploaded file and of the generated secret key."""
        found = {}
        media = self.var_dir / "media"
        for path in sorted(media.rglob("*")) if media.exists() else ():
            if path.is_file():
                found[path.relative_to(self.var_dir).as_posix()] = _sha(path)
        if (self.var_dir / "secret_key").exists():
            found["secret_key"] = _sha(self.var_dir / "secret_key")
        return found


def _rows(db, names: list[str]) -> dict[str, list[str]]:
    return {n: sorted(map(repr, db.execute(f'SELECT * FROM "{n}"'))) for n in names}  # noqa: S608


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A populated instance (the demo content, its images, the roster and the WeChat demo,
    an administrator) and one backup of it."""
    instance = Instance(tmp_path_factory.mktemp("source"), "src")
    manage(instance.env, "migrate", "--noinput", "-v0")
    for command in ("load_demo", "load_demo_audience", "load_demo_wechat", "ensure_admin"):
        manage(instance.env, command)
    out = tmp_path_factory.mktemp("backups")
    printed = manage(instance.env, "backup", str(out)).strip().splitlines()[-1]
    return instance, Path(printed)


def fresh(tmp_path: Path, name: str = "restore") -> Instance:
    return Instance(tmp_path / name, name)


def test_a_backup_restored_into_a_fresh_instance_has_every_row_and_file(source, tmp_path):
    instance, backup = source
    assert [p.name for p in backup.parent.iterdir()] == [backup.name]  # no partial left
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert "0001_initial" in manifest["migrations"]["wechat"]
    assert manifest["created"].endswith("+08:00")
    assert any(f["path"].startswith("media/original_images/") for f in manifest["files"])
    for path in [backup, *backup.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path

    target = fresh(tmp_path)
    output = manage(target.env, "restore", str(backup))
    assert "已恢复" in output

    expected = instance.tables()
    assert "wechat_accountsettings" in expected  # the simulated account's token and AES key
    assert any(len(rows) > 100 for rows in expected.values())
    restored = target.tables()
    assert sorted(restored) == sorted(expected)
    for table, rows in expected.items():
        assert restored[table] == rows, table
    assert target.files() == instance.files()
    assert any(name.startswith("media/original_images/") for name in target.files())
    if not ON_POSTGRES:
        assert "secret_key" in target.files()


def test_a_tampered_file_is_refused_and_nothing_is_written(source, tmp_path):
    _instance, backup = source
    copy = tmp_path / "copy"
    shutil.copytree(backup, copy)
    image = next((copy / "media" / "original_images").iterdir())
    image.write_bytes(image.read_bytes()[:-1] + b"x")
    target = fresh(tmp_path)

    result = run(target.env, "restore", str(copy))

    assert result.returncode == 1
    assert "备份已损坏或被改动，拒绝恢复" in result.stderr
    assert f"media/original_images/{image.name} 校验不符" in result.stderr
    assert "failed verification" in result.stderr  # the precise log line
    assert not any(rows for rows in target.tables().values())
    assert not (target.var_dir / "media").exists()


def test_a_backup_naming_a_migration_this_code_does_not_know_is_refused(source, tmp_path):
    _instance, backup = source
    copy = tmp_path / "copy"
    shutil.copytree(backup, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["migrations"]["content"].append("0099_from_a_newer_version")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    target = fresh(tmp_path)

    result = run(target.env, "restore", str(copy))

    assert result.returncode == 1
    assert "备份的数据库结构比当前程序新" in result.stderr
    assert "content.0099_from_a_newer_version" in result.stderr
    assert not any(rows for rows in target.tables().values())


def test_a_target_with_data_is_refused_without_force_and_replaced_with_it(source, tmp_path):
    instance, backup = source
    target = fresh(tmp_path)
    manage(target.env, "migrate", "--noinput", "-v0")
    manage(target.env, "ensure_admin")
    stray = target.var_dir / "media" / "documents" / "old.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("from the instance being replaced")

    refused = run(target.env, "restore", str(backup))
    assert refused.returncode == 1
    assert "目标实例已有数据" in refused.stderr
    assert "--force" in refused.stderr
    assert stray.exists()

    manage(target.env, "restore", "--force", str(backup))
    assert not stray.exists()
    assert target.files() == instance.files()
    expected, restored = instance.tables(), target.tables()
    assert sorted(restored) == sorted(expected)
    for table, rows in expected.items():
        assert restored[table] == rows, table


def test_a_freshly_migrated_target_counts_as_empty_and_an_older_backup_is_migrated(tmp_path):
    older = Instance(tmp_path / "older", "older")
    manage(older.env, "migrate", "--noinput", "-v0")
    manage(older.env, "migrate", "audience", "0003", "--noinput", "-v0")
    backup = Path(manage(older.env, "backup", str(tmp_path / "out")).strip().splitlines()[-1])
    target = fresh(tmp_path)
    manage(target.env, "migrate", "--noinput", "-v0")

    output = manage(target.env, "restore", str(backup))
    assert "manage.py migrate" in output
    assert not any("0004_member_password_reset" in r for r in target.tables()["django_migrations"])

    manage(target.env, "restore", "--force", "--migrate", str(backup))
    assert any("0004_member_password_reset" in r for r in target.tables()["django_migrations"])


REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")


@pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL is not set")
def test_reads_waiting_in_redis_are_written_before_the_database_is_copied(tmp_path):
    import redis

    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    instance = Instance(tmp_path / "scaled", "scaled")
    instance.env.update(REDIS_URL=REDIS_TEST_URL, CACHE_PREFIX=f"backup-{tmp_path.name}")
    manage(instance.env, "migrate", "--noinput", "-v0")
    record = (
        "from datetime import date\n"
        "from wagtail.models import Page\n"
        "from weizhi.analytics.counters import get_counter\n"
        "page = Page.objects.get(depth=2)\n"
        "for n in range(5): get_counter().record(page.pk, f'r{n}', date.today())\n"
        "print(page.pk)\n"
    )
    page_id = int(manage(instance.env, "shell", "-v0", "-c", record).split()[-1])

    backup = Path(manage(instance.env, "backup", str(tmp_path / "out")).strip().splitlines()[-1])

    assert redis.Redis.from_url(REDIS_TEST_URL).hlen("weizhi:counter:reads") == 0
    target = fresh(tmp_path)
    # Without Redis the target does not install django_rq, whose migrations the backup has.
    assert "django_rq" in manage(target.env, "restore", str(backup))
    stats = target.tables()["analytics_pagestats"]
    assert stats == [repr((page_id, 5, 5, 0))], stats
