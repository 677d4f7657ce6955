"""INSERT … ON CONFLICT for the callback's hot path, its SQL written once per batch size.

The ORM's bulk_create cannot say which rows it skipped on a conflict, and building a model
instance, compiling the query and preparing every value cost more than the insert itself
(~0.3 ms of CPU a message on the callback, single-threaded). Rows here are plain dicts;
fields they leave out take their model default, `auto_now(_add)` fields the batch's time.
Only quoted model names and placeholders go into the SQL text; every value is a parameter.
"""

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

from weizhi.core.sql import placeholders

_PLAIN = (str, int, bool, type(None))
# Rows per statement: far below SQLite's 32,766 parameters for any of our tables.
MAX_ROWS = 200


class FastInsert:
    def __init__(
        self,
        model: type[models.Model],
        *,
        conflict: Sequence[str],
        update: Sequence[str] = (),
        returning: Sequence[str] = (),
    ) -> None:
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.conflict = tuple(conflict)
        self.update = tuple(update)
        self.returning = tuple(returning)
        names = {f.name for f in self.fields} | {"id"}
        if self.update and not self.conflict:
            raise ValueError("an ON CONFLICT … DO UPDATE needs the conflicting columns")
        unknown = (set(self.conflict) | set(self.update) | set(self.returning)) - names
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {sorted(unknown)}")
        # Per field: the keys a row may give it by, whether it takes the batch's time when
        # left out, and whether its value must always be encoded (JSON) or only when it is
        # not a plain str/int/bool/None already.
        self._plan = [
            (
                f.attname,
                f.name,
                bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)),
                f,
                isinstance(f, models.JSONField),
            )
            for f in self.fields
        ]

    def prepare(self, row: Mapping[str, Any], now: datetime | None = None) -> list[Any]:
        """The parameters of one row, ready for execute_prepared(). Done before taking a
        write lock, so the lock is held only while the database works."""
        now = now or timezone.now()
        conn = connections[DEFAULT_DB_ALIAS]
        out = []
        for attname, name, auto, field, always in self._plan:
            if attname in row:
                value = row[attname]
            elif name in row:
                value = row[name]
            elif auto:
                value = now
            else:
                value = field.get_default()
            if always or not isinstance(value, _PLAIN):
                value = field.get_db_prep_save(value, conn)
            out.append(value)
        return out

    def execute(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple]:
        """Insert `rows` in one statement; the RETURNING columns of the rows written (on a
        conflict that does nothing, only the new ones)."""
        now = timezone.now()
        return self.execute_prepared([self.prepare(row, now) for row in rows])

    def execute_prepared(self, prepared: Sequence[list[Any]]) -> list[tuple]:
        conn = connections[DEFAULT_DB_ALIAS]
        written: list[tuple] = []
        with conn.cursor() as cursor:
            for start in range(0, len(prepared), MAX_ROWS):
                chunk = prepared[start : start + MAX_ROWS]
                params = [value for row in chunk for value in row]
                cursor.execute(self._sql(conn.vendor, len(chunk)), params)
                if self.returning:
                    written.extend(cursor.fetchall())
        return written

    def sql(self, count: int) -> str:
        """The statement for `count` rows, with %s placeholders for their prepared values."""
        return self._sql(connections[DEFAULT_DB_ALIAS].vendor, count)

    @functools.lru_cache(maxsize=128)  # noqa: B019 — statements live as long as the process
    def _sql(self, vendor: str, count: int) -> str:
        one_row = f"({placeholders(len(self.fields))})"
        return (
            f"INSERT INTO {self._table()} ({self._columns()}) "  # noqa: S608
            f"VALUES {', '.join([one_row] * count)} {self._tail()}"
        )

    @functools.lru_cache(maxsize=128)  # noqa: B019
    def guarded_sql(self, count: int, keys: str) -> str:
        """PostgreSQL: the statement for `count` rows, each written only if its key is among
        what the query `keys` returns. A row's parameters are its key, then its prepared
        values. Meant as the body of a data-modifying CTE beside the one whose RETURNING is
        `keys`, so that one statement (atomic, one round trip, no BEGIN/COMMIT) writes both.
        Each value is cast to its column's type: in a VALUES list on its own, PostgreSQL
        would take a NULL or a quoted literal for text."""
        conn = connections[DEFAULT_DB_ALIAS]
        casts = ", ".join(f"CAST(%s AS {f.db_type(conn)})" for f in self.fields)
        aliases = [f"c{n}" for n in range(len(self.fields))]
        rows = ", ".join([f"(CAST(%s AS text), {casts})"] * count)
        return (
            f"INSERT INTO {self._table()} ({self._columns()}) "  # noqa: S608
            f"SELECT {', '.join(aliases)} FROM (VALUES {rows}) AS v (k, {', '.join(aliases)}) "
            f"WHERE k IN ({keys}) {self._tail()}"
        )

    def _table(self) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    def _columns(self) -> str:
        return ", ".join(connection.ops.quote_name(f.column) for f in self.fields)

    def _tail(self) -> str:
        """ON CONFLICT … and RETURNING …"""
        quote = connection.ops.quote_name
        column = {f.name: f.column for f in self.fields} | {"id": "id"}
        if not self.conflict:  # skip a row that breaks any unique constraint, partial ones too
            tail = "ON CONFLICT DO NOTHING"
            if self.returning:
                tail += " RETURNING " + ", ".join(quote(column[n]) for n in self.returning)
            return tail
        conflict = ", ".join(quote(column[n]) for n in self.conflict)
        if self.update:
            sets = ", ".join(
                f"{quote(column[n])} = EXCLUDED.{quote(column[n])}" for n in self.update
            )
            action = f"DO UPDATE SET {sets}"
        else:
            action = "DO NOTHING"
        tail = f"ON CONFLICT ({conflict}) {action}"
        if self.returning:
            tail += " RETURNING " + ", ".join(quote(column[n]) for n in self.returning)
        return tail
