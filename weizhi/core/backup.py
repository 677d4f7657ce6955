"""Backups of one installation: the database, uploaded media and the files under var/ that
cannot be made again, with a manifest that lets a restore check what it is given.

A backup is one directory, written under a hidden temporary name and renamed when complete,
so a directory with a manifest is always a whole backup. Apps reach in through hooks filled
from their AppConfig.ready() (core imports no app): work to do before a backup, such as
writing buffered read counts, and work after a restore, such as purging the page cache.
"""

import hashlib
import json
import logging
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import django
import wagtail
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

log = logging.getLogger("weizhi.backup")

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA = "media"
# Pages a bare `migrate` makes (Wagtail's root and welcome page); more means someone used it.
MIGRATE_PAGES = 2

_pre_backup: list[Callable[[], None]] = []
_post_restore: list[Callable[[], None]] = []
_files: dict[str, Callable[[], Path]] = {}


class BackupError(Exception):
    """A refusal: ``message`` is for the operator (Chinese), ``detail`` for the log."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message


def register_pre_backup(hook: Callable[[], None]) -> None:
    """Run ``hook`` before every backup (e.g. write counts still waiting in memory or Redis)."""
    if hook not in _pre_backup:
        _pre_backup.append(hook)


def register_post_restore(hook: Callable[[], None]) -> None:
    """Run ``hook`` after every restore (e.g. purge caches that describe the old data)."""
    if hook not in _post_restore:
        _post_restore.append(hook)


def register_file(name: str, path: Callable[[], Path]) -> None:
    """Include the file at ``path()`` (when it exists) in every backup as ``var/<name>``."""
    _files[name] = path


register_file("secret_key", lambda: Path(settings.VAR_DIR) / "secret_key")


@dataclass(frozen=True)
class Result:
    path: Path
    manifest: dict


# Reading and writing files


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(root: Path) -> Iterator[Path]:
    """Regular files under root, sorted, symbolic links not followed."""
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _private_tree(root: Path) -> None:
    """The backup holds the secret key and members' data: owner only."""
    for folder, _dirs, files in os.walk(root):
        os.chmod(folder, 0o700)
        for name in files:
            os.chmod(Path(folder) / name, 0o600)


def _replace_file(source: Path, target: Path) -> None:
    """Copy so that a reader sees the old file or the new one, never half of one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


# What this code knows


def weizhi_version() -> str:
    with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]["version"]


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def known_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _pg_params() -> tuple[list[str], dict[str, str]]:
    """Connection arguments for the PostgreSQL client tools; the password only in the env."""
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return args, env


def pg_tool(name: str) -> tuple[str, int]:
    """The full path of a PostgreSQL client program and its major version."""
    path = shutil.which(name)
    out = ""
    if path:
        out = subprocess.run(  # noqa: S603
            [path, "--version"], capture_output=True, text=True, check=False, timeout=30
        ).stdout
    match = re.search(r"\) (\d+)", out)
    if not path or not match:
        raise BackupError(
            f"找不到可用的 PostgreSQL 客户端程序 {name}，"
            "请安装与数据库服务器版本相同的 postgresql-client。",
            f"{name} not found or its version unreadable: {path!r} {out!r}",
        )
    return path, int(match.group(1))


# Backup


def backup(target_dir: Path, now: datetime | None = None) -> Result:
    """Write a complete backup into a new directory under ``target_dir`` and return it."""
    now = (now or datetime.now()).astimezone(ZoneInfo("Asia/Shanghai"))
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if target_dir.resolve().is_relative_to(media_root):
        # nginx serves the media directory to anyone: a backup there would be public.
        raise BackupError(
            f"备份目录不能放在媒体目录 {media_root} 之内（那里的文件对外公开）。",
            f"refusing to write a backup inside MEDIA_ROOT {media_root}",
        )
    warnings = []
    for hook in _pre_backup:
        try:
            hook()
        except Exception as exc:
            # A backup without the last counts beats no backup when Redis is down.
            log.exception("pre-backup step %s failed; backing up without it", hook.__qualname__)
            warnings.append(
                f"备份前的准备步骤 {hook.__qualname__} 失败（{exc}），备份中缺少其结果。"
            )
    target_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"weizhi-{now:%Y%m%d-%H%M%S}"
    final = target_dir / name
    suffix = 1
    while final.exists():
        suffix += 1
        final = target_dir / f"{name}-{suffix}"
    partial = target_dir / f".{final.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    try:
        manifest = _write_backup(partial, now, warnings)
        _private_tree(partial)
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    log.info("backup written to %s (%d files)", final, len(manifest["files"]))
    return Result(final, manifest)


def _write_backup(out: Path, now: datetime, warnings: list[str]) -> dict:
    # The database first, then media: every file the database names was on disk before the
    # snapshot, so the backup has it (an upload during the backup may add an unnamed file).
    database = _dump_database(out)
    migrations = applied_migrations()
    if (out / MEDIA).exists():
        shutil.rmtree(out / MEDIA)
    media_root = Path(settings.MEDIA_ROOT)
    for path in _walk(media_root) if media_root.is_dir() else ():
        copy = out / MEDIA / path.relative_to(media_root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, copy)
    for name, where in sorted(_files.items()):
        path = where()
        if path.is_file():
            (out / "var").mkdir(exist_ok=True)
            shutil.copyfile(path, out / "var" / name)
    files = [
        {"path": p.relative_to(out).as_posix(), "size": p.stat().st_size, "sha256": sha256(p)}
        for p in _walk(out)
    ]
    manifest = {
        "format": FORMAT,
        "created": now.isoformat(timespec="seconds"),
        "weizhi": weizhi_version(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "wagtail": wagtail.__version__,
        "database": database,
        "migrations": migrations,
        "secret_key_from_environment": bool(os.environ.get("SECRET_KEY", "").strip()),
        "files": files,
        "warnings": warnings,
    }
    manifest_path = out / MANIFEST
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    return manifest


def _dump_database(out: Path) -> dict:
    vendor = connection.vendor
    if vendor == "sqlite":
        target = out / SQLITE_FILE
        name = Path(settings.DATABASES["default"]["NAME"]).resolve()
        source = sqlite3.connect(f"{name.as_uri()}?mode=ro", uri=True)
        copy = sqlite3.connect(target)
        try:
            # One step: a consistent snapshot, taken while WAL lets the site keep writing.
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            (check,) = copy.execute("PRAGMA quick_check").fetchone()
        finally:
            copy.close()
            source.close()
        if check != "ok":
            raise BackupError("数据库备份校验失败，请检查磁盘后重试。", f"quick_check: {check}")
        return {"vendor": vendor, "file": SQLITE_FILE, "sqlite": sqlite3.sqlite_version}
    if vendor == "postgresql":
        server = connection.pg_version // 10000
        pg_dump, client = pg_tool("pg_dump")
        if client < server:
            raise BackupError(
                f"pg_dump 版本 ({client}) 低于数据库服务器版本 ({server})，无法备份；"
                f"请安装 postgresql-client-{server}。",
                f"pg_dump major {client} is older than the server's {server}",
            )
        args, env = _pg_params()
        target = out / PG_FILE
        result = subprocess.run(  # noqa: S603
            [pg_dump, "--format=custom", "--file", str(target), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(
                "pg_dump 备份数据库失败，详情见错误输出。", f"pg_dump failed: {result.stderr}"
            )
        return {"vendor": vendor, "file": PG_FILE, "server": server, "pg_dump": client}
    raise BackupError(f"不支持备份 {vendor} 数据库。", f"unsupported vendor {vendor}")
