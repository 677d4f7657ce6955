"""Restoring a backup made by ``weizhi.core.backup``, after checking everything it can.

Nothing is written until the whole backup has been checked: the manifest's format and
database vendor, that this code knows every migration the backup's database has applied
(a newer schema would be silently wrong under older code), every file's size and sha256,
and that the target holds no data of its own (unless the operator says ``force``).
"""

import json
import logging
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections

from weizhi.core import backup as bk
from weizhi.core.backup import BackupError

log = logging.getLogger("weizhi.backup")


@dataclass
class Restored:
    manifest: dict
    # Migrations this code has that the backup's database had not applied yet.
    pending_migrations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_manifest(source: Path) -> dict:
    path = source / bk.MANIFEST
    if not path.is_file():
        hint = sorted(p.name for p in source.glob("weizhi-*") if (p / bk.MANIFEST).is_file())
        more = f"；该目录下的备份有：{', '.join(hint[-3:])}" if hint else ""
        raise BackupError(
            f"{source} 不是微智备份目录（缺少 {bk.MANIFEST}）{more}。",
            f"no {bk.MANIFEST} in {source}",
        )
    try:
        manifest = json.loads(path.read_text())
        parts = (manifest["files"], manifest["migrations"], manifest["database"]["vendor"])
        if not (isinstance(parts[0], list) and isinstance(parts[1], dict)):
            raise TypeError("files must be a list and migrations a mapping")
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            "备份清单 manifest.json 已损坏，无法恢复。", f"bad manifest: {exc}"
        ) from exc
    if manifest.get("format") != bk.FORMAT:
        raise BackupError(
            f"备份格式版本 {manifest.get('format')} 不是本程序支持的 {bk.FORMAT}，"
            "请用对应版本的微智恢复。",
            f"manifest format {manifest.get('format')!r}, expected {bk.FORMAT}",
        )
    return manifest


def check_vendor(manifest: dict) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        names = {"sqlite": "SQLite（嵌入模式）", "postgresql": "PostgreSQL（扩展模式）"}
        raise BackupError(
            f"这是 {names.get(vendor, vendor)} 的备份，当前配置的数据库是 "
            f"{names.get(connection.vendor, connection.vendor)}，不能直接恢复。",
            f"backup database vendor {vendor}, configured {connection.vendor}",
        )
    if vendor == "postgresql":
        dumped = int(manifest["database"].get("pg_dump", 0))
        _path, client = bk.pg_tool("pg_restore")
        if client < dumped:
            raise BackupError(
                f"pg_restore 版本 ({client}) 低于制作备份的 pg_dump ({dumped})，无法读取该备份；"
                f"请安装 postgresql-client-{dumped} 或更新版本。",
                f"pg_restore major {client} cannot read a pg_dump {dumped} archive",
            )


def check_schema(manifest: dict) -> tuple[list[str], list[str]]:
    """Refuse migrations this code does not know; return those the backup still lacks, and
    the apps the backup has that this configuration does not install (django_rq without
    Redis: their tables come back untouched and unused)."""
    known = bk.known_migrations()
    installed = {config.label for config in apps.get_app_configs()}
    recorded = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted((app, name) for app, name in recorded - known if app in installed)
    if unknown:
        listed = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(
            f"备份的数据库结构比当前程序新（程序不认识迁移 {listed}），"
            f"请先把程序升级到备份时的版本（备份版本 {manifest.get('weizhi', '?')}）再恢复。",
            f"backup has migrations unknown to this code: {unknown}",
        )
    pending = sorted(f"{app}.{name}" for app, name in known - recorded)
    return pending, sorted({app for app, _name in recorded} - installed)


def check_files(source: Path, manifest: dict) -> None:
    listed = {entry["path"]: entry for entry in manifest["files"]}
    present = {p.relative_to(source).as_posix() for p in bk._walk(source)} - {bk.MANIFEST}
    problems: list[str] = []
    for name in sorted(set(listed) - present):
        problems.append(f"缺少 {name}")
    for name in sorted(present - set(listed)):
        problems.append(f"清单中没有 {name}")
    for name in sorted(set(listed) & present):
        path, entry = source / name, listed[name]
        if path.stat().st_size != entry["size"] or bk.sha256(path) != entry["sha256"]:
            problems.append(f"{name} 校验不符")
    if not any(p.startswith("database.") for p in listed):
        problems.append("缺少数据库文件")
    if problems:
        raise BackupError(
            f"备份已损坏或被改动，拒绝恢复：{'；'.join(problems[:5])}"
            + (f" 等 {len(problems)} 处" if len(problems) > 5 else "")
            + "。",
            f"backup {source} failed verification: {problems}",
        )


def data_in_target() -> list[str]:
    """What the target already holds that a restore would replace; empty for a fresh one."""
    found = []
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir() and next(bk._walk(media_root), None):
        found.append(f"媒体目录 {media_root}")
    tables = set(connection.introspection.table_names())
    ours = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if model.__module__.startswith("weizhi.")
        and not model._meta.proxy
        and not getattr(model, "seeded_by_migrations", False)
    )
    used = ["auth_user", "wagtailimages_image", "wagtaildocs_document", *ours]
    with connection.cursor() as cursor:
        for table in dict.fromkeys(used):
            if table in tables:
                cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
                if cursor.fetchone():
                    found.append(f"数据表 {table}")
        if "wagtailcore_page" in tables:
            cursor.execute("SELECT COUNT(*) FROM wagtailcore_page")
            if cursor.fetchone()[0] > bk.MIGRATE_PAGES:
                found.append("数据表 wagtailcore_page")
    return found


def restore(source: Path, *, force: bool = False) -> Restored:
    manifest = read_manifest(source)
    check_vendor(manifest)
    pending, not_installed = check_schema(manifest)
    check_files(source, manifest)
    existing = data_in_target()
    if existing and not force:
        raise BackupError(
            f"目标实例已有数据（{'、'.join(existing[:4])}），恢复会用备份替换全部数据库内容和媒体文件。"
            "若确认要覆盖，请先备份当前实例，再加 --force 重新运行。",
            f"target is not empty: {existing}",
        )
    if existing:
        log.warning("restore --force replaces existing data: %s", existing)
    _restore_database(source, manifest)
    _restore_media(source, replace=bool(existing))
    restored = Restored(manifest, pending)
    if not_installed:
        restored.notes.append(
            f"备份中有当前配置未启用的应用（{', '.join(not_installed)}）的数据表，已原样恢复。"
        )
    for entry in manifest["files"]:
        if entry["path"].startswith("var/"):
            name = entry["path"].removeprefix("var/")
            where = bk._files.get(name)
            if where is None:
                restored.notes.append(f"备份中的 {entry['path']} 本程序不使用，未恢复。")
                continue
            target = where()
            bk._replace_file(source / entry["path"], target)
            target.chmod(0o600)
    for hook in bk._post_restore:
        hook()
    log.info("restored %s (made %s by weizhi %s)", source, manifest["created"], manifest["weizhi"])
    return restored


def _restore_database(source: Path, manifest: dict) -> None:
    dump = source / manifest["database"]["file"]
    connections.close_all()
    if connection.vendor == "sqlite":
        # The backup API writes into the live file under SQLite's own locks, WAL included,
        # and replaces the whole content in one transaction.
        target = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=60)
        copy = sqlite3.connect(f"{dump.resolve().as_uri()}?mode=ro", uri=True)
        try:
            copy.backup(target)
        finally:
            copy.close()
            target.close()
        return
    _drop_all_tables()
    pg_restore, _version = bk.pg_tool("pg_restore")
    args, env = bk._pg_params()
    # --no-owner: the objects belong to whoever restores, so another role name works too.
    result = subprocess.run(  # noqa: S603
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
         "--single-transaction", *args, str(dump)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise BackupError(
            "pg_restore 恢复数据库失败（数据库已清空），详情见错误输出。",
            f"pg_restore failed: {result.stderr}",
        )


def _drop_all_tables() -> None:
    """Empty the target schema so that the dump's tables and functions are the only ones left."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = current_schema() "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
        )
        rows = cursor.fetchall()
        kinds = {"r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE", "v": "VIEW"}
        kinds |= {"m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
        for name, kind in sorted(rows, key=lambda row: row[1] == "S"):
            quoted = connection.ops.quote_name(name)
            cursor.execute(f"DROP {kinds[kind]} IF EXISTS {quoted} CASCADE")
        # Functions too (the audit log's append-only trigger function): the dump creates them.
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() AND NOT EXISTS "
            "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
        for (routine,) in cursor.fetchall():
            cursor.execute(f"DROP ROUTINE IF EXISTS {routine} CASCADE")
    connections.close_all()


def _restore_media(source: Path, *, replace: bool) -> None:
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    backed_up = source / bk.MEDIA
    keep = set()
    for path in bk._walk(backed_up) if backed_up.is_dir() else ():
        relative = path.relative_to(backed_up)
        keep.add(relative)
        bk._replace_file(path, media_root / relative)
    if replace:
        # --force: the media directory becomes exactly the backup's.
        for path in list(bk._walk(media_root)):
            if path.relative_to(media_root) not in keep:
                path.unlink()
        for folder in sorted(media_root.rglob("*"), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
