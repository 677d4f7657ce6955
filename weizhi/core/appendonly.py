"""Append-only tables: audit logs whose rows, once written, stay as written.

The database itself refuses an UPDATE or DELETE of a guarded row, whoever sends it (the
admin, a bug, a superuser's shell), with two narrow exceptions that Django and Wagtail need:
a column listed as ``may_clear`` may become NULL (``on_delete=SET_NULL`` when the user or
member it points to is deleted), and a boolean listed as ``may_set`` may go from false to
true (Wagtail's ``deleted`` flag); a table may also name ``outcome`` columns that are filled
in after the row is written. Nothing else about a row changes, and no row goes.

Wiping a whole database is another matter: ``flush`` (which tests run between transactional
tests) and a data migration that moves a log to another table open the guard for one
connection with ``writable()``. On PostgreSQL the guard reads the transaction- or session-level
setting ``weizhi.audit_writable``; flush uses TRUNCATE there, which row triggers never see.
SQLite has no settings, so the guard calls a function each Django connection registers
(``weizhi_audit_writable()``); any other client, which lacks it, is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

SETTING = "weizhi.audit_writable"
SQLITE_SWITCH = "weizhi_audit_writable"

_POSTGRES_FUNCTION = f"""
CREATE OR REPLACE FUNCTION weizhi_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before jsonb := to_jsonb(OLD);
    after jsonb;
    col text;
BEGIN
    IF current_setting('{SETTING}', true) = 'on' THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% is append-only: rows are never deleted', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    after := to_jsonb(NEW);
    FOREACH col IN ARRAY TG_ARGV[0]::text[] LOOP
        IF after -> col = 'null'::jsonb THEN
            before := before - col;
            after := after - col;
        END IF;
    END LOOP;
    FOREACH col IN ARRAY TG_ARGV[1]::text[] LOOP
        IF before -> col = 'false'::jsonb AND after -> col = 'true'::jsonb THEN
            before := before - col;
            after := after - col;
        END IF;
    END LOOP;
    FOREACH col IN ARRAY TG_ARGV[2]::text[] LOOP
        before := before - col;
        after := after - col;
    END LOOP;
    IF before IS DISTINCT FROM after THEN
        RAISE EXCEPTION '% is append-only: rows are never changed', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
"""


def _pg_array(names: Iterable[str]) -> str:
    return "{" + ",".join(names) + "}"


def guard(
    schema_editor,
    table: str,
    *,
    may_clear: Iterable[str] = (),
    may_set: Iterable[str] = (),
    outcome: Iterable[str] = (),
) -> None:
    """Install the guard on ``table`` (for a migration's RunPython). ``outcome`` names
    columns a row is written without and filled in once, later (a push's result)."""
    connection = schema_editor.connection
    quoted = schema_editor.quote_name(table)
    if connection.vendor == "postgresql":
        schema_editor.execute(_POSTGRES_FUNCTION, params=None)  # RAISE's % is no placeholder
        args = ", ".join(f"'{_pg_array(names)}'" for names in (may_clear, may_set, outcome))
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {quoted} "
            f"FOR EACH ROW EXECUTE FUNCTION weizhi_append_only({args})"
        )
        return
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
    kept = []
    for column in columns:
        name = schema_editor.quote_name(column)
        same = f"NEW.{name} IS OLD.{name}"
        if column in outcome:
            continue
        if column in may_clear:
            same = f"({same} OR NEW.{name} IS NULL)"
        elif column in may_set:
            same = f"({same} OR (OLD.{name} = 0 AND NEW.{name} = 1))"
        kept.append(same)
    refuse = f"SELECT RAISE(ABORT, '{table} is append-only');"
    schema_editor.execute(
        f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {quoted} "
        f"WHEN NOT {SQLITE_SWITCH}() AND NOT ({' AND '.join(kept)}) BEGIN {refuse} END"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {quoted} "
        f"WHEN NOT {SQLITE_SWITCH}() BEGIN {refuse} END"
    )


def unguard(schema_editor, table: str) -> None:
    vendor = schema_editor.connection.vendor
    quoted = schema_editor.quote_name(table)
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {quoted}")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_update")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_delete")


def guarded_tables(connection: BaseDatabaseWrapper) -> set[str]:
    """Tables that carry the guard now (for checks and tests)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT event_object_table FROM information_schema.triggers "
                "WHERE trigger_name LIKE %s",
                ["%_append_only"],
            )
        else:
            cursor.execute(
                "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE %s",
                ["%_append_only_delete"],
            )
        return {row[0] for row in cursor.fetchall()}


def install_sqlite_switch(sender, connection: BaseDatabaseWrapper, **kwargs) -> None:
    """connection_created receiver: the function SQLite's guard asks, per connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_SWITCH, 0, lambda: int(getattr(connection, "audit_writable", False))
        )


@contextmanager
def writable(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Open the guard on this connection only, for wiping or moving a whole log."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [SETTING])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [SETTING])
        return
    connection.audit_writable = True
    try:
        yield
    finally:
        connection.audit_writable = False
