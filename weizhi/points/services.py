"""The one door to points. Other features call ``award``; editors call ``deduct``.

    award(member_or_follower, "quiz_finish", f"attempt:{attempt.pk}")

- Idempotent: one entry per (person, action, key); calling again returns DUPLICATE and
  changes nothing, however many requests race.
- Capped: the rule's daily cap bounds the points of one action per person per local day;
  an award that would pass it is cut to what is left (CAPPED when nothing is left).
- Ledgered: every change, deductions included, is an Entry row (who, when, why); totals are
  sums of the ledger, never a counter that could drift from it.
A follower bound to a roster member earns as that member.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from weizhi.audience.models import Follower, Member
from weizhi.core.fastinsert import FastInsert
from weizhi.core.sql import placeholders

from .models import Entry, Rule

log = logging.getLogger(__name__)
AWARDED, DUPLICATE, CAPPED, NO_RULE = "awarded", "duplicate", "capped", "no_rule"
DEDUCT = "deduct"
Who = Member | Follower


@dataclass(frozen=True)
class Award:
    outcome: str
    points: int = 0
    entry: Entry | None = None


def _owner(who: Who) -> tuple[str, dict]:
    if isinstance(who, Follower) and who.member_id is not None:
        return f"m{who.member_id}", {"member_id": who.member_id}
    if isinstance(who, Follower):
        return f"f{who.pk}", {"follower": who}
    return f"m{who.pk}", {"member": who}


def lock(whos: Iterable[Who]) -> None:
    """Serialise these people's awards on PostgreSQL, so two at once cannot both pass a cap:
    their rows, members then followers, each kind in key order (one lock order for every
    caller, so two batches cannot deadlock). SQLite's write transactions are serial already
    (BEGIN IMMEDIATE): no query there. ``award_batch`` locks whom it awards itself."""
    if not connection.features.has_select_for_update:
        return
    members, followers = set(), set()
    for who in whos:
        if isinstance(who, Follower) and who.member_id is None:
            followers.add(who.pk)
        else:
            members.add(who.member_id if isinstance(who, Follower) else who.pk)
    with connection.cursor() as cursor:
        for model, pks in ((Member, members), (Follower, followers)):
            if pks:
                table = connection.ops.quote_name(model._meta.db_table)
                cursor.execute(
                    f"SELECT id FROM {table} WHERE id IN ({placeholders(len(pks))}) "  # noqa: S608
                    "ORDER BY id FOR UPDATE",
                    sorted(pks),
                )


def award(who: Who, action: str, key: str, *, points: int | None = None, at=None) -> Award:
    """Award the rule's points (or ``points``, still capped) for ``action`` once per ``key``."""
    return award_many(who, [(action, key)], points=points, at=at)[0]


def award_many(
    who: Who,
    wanted: list[tuple[str, str]],
    *,
    points: int | None = None,
    at=None,
    rules: dict[str, Rule] | None = None,
) -> list[Award]:
    """``award`` for several (action, key) pairs of one person at once, in a few statements
    whatever their number: the rules, the lock, the ledger rows that decide duplicates and
    caps, one INSERT. Same outcomes, in order, as awarding them one after another.

    ``rules``: ``rules_for()`` of the actions, read earlier by a caller that awards inside a
    write lock and keeps the lock short (a rule of an action not awarded here is ignored)."""
    return award_batch([Wanted(who, wanted, at=at)], points=points, rules=rules)[0]


@dataclass(frozen=True)
class Wanted:
    """What one person is to be awarded: (action, key) pairs, at a time (now if None)."""

    who: Who
    pairs: list[tuple[str, str]]
    at: object = None


def award_batch(
    batch: list[Wanted], *, points: int | None = None, rules: dict[str, Rule] | None = None
) -> list[list[Award]]:
    """``award_many`` for several people at once, in the same few statements however many
    there are: one lock (PostgreSQL), one read of the ledger rows that decide duplicates and
    caps, one INSERT. The outcomes, per person and in order, are those of awarding each
    pair one after another, in the batch's order (a person may come twice).

    Quiz hand-ins award inside their own transaction, hundreds a second, written together:
    the reads are plain SQL (the ORM's query building cost more than the queries), and the
    INSERT skips a row another writer stored meanwhile (ON CONFLICT DO NOTHING) instead of
    failing the caller's transaction; that row's outcome is DUPLICATE."""
    actions = {a for w in batch for a, _ in w.pairs}
    if rules is None:
        rules = rules_for(actions)
    else:
        rules = {a: rule for a, rule in rules.items() if a in actions}
    if not rules:
        return [[Award(NO_RULE) for _ in w.pairs] for w in batch]
    now = timezone.now()
    asked = []
    for w in batch:
        at = w.at or now
        subject, owner = _owner(w.who)
        pairs = [(action, key[:120]) for action, key in w.pairs]
        asked.append((subject, owner, pairs, at, timezone.localdate(at)))
    with transaction.atomic(savepoint=False):
        lock(w.who for w in batch)
        taken, today = _ledger(rules, asked)
        outcomes, rows = [], []
        for subject, owner, pairs, at, day in asked:
            outcomes.append(
                _decide(subject, owner, rules, pairs, points, at, day, taken, today, rows)
            )
        if not rows:
            return outcomes
        written = {
            (subject, action, key): pk
            for subject, action, key, pk in _ENTRIES.execute([_values(e) for e in rows])
        }
    for person in outcomes:
        for n, outcome in enumerate(person):
            if outcome.entry is not None:
                entry = outcome.entry
                pk = written.get((entry.subject, entry.action, entry.key))
                if pk is None:  # stored by another writer between our read and our insert
                    person[n] = Award(DUPLICATE)
                else:
                    entry.pk = pk
    return outcomes


_ENTRIES = FastInsert(
    Entry, conflict=("subject", "action", "key"), returning=("subject", "action", "key", "id")
)
_ENTRY_COLUMNS = ("subject", "member_id", "follower_id", "action", "key", "points", "day", "at",
                  "by_id", "reason")  # fmt: skip


def _values(entry: Entry) -> dict:
    return {name: getattr(entry, name) for name in _ENTRY_COLUMNS}


def rules_for(actions: Iterable[str]) -> dict[str, Rule]:
    """The enabled rules of these actions, by action."""
    actions = sorted(actions)
    if not actions:
        return {}
    sql = (
        f"SELECT id, action, name, points, daily_cap FROM {Rule._meta.db_table} "  # noqa: S608
        f"WHERE enabled AND action IN ({placeholders(len(actions))})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, actions)
        return {
            action: Rule(pk=pk, action=action, name=name, points=p, daily_cap=cap, enabled=True)
            for pk, action, name, p, cap in cursor.fetchall()
        }


def _ledger(rules, asked) -> tuple[set, dict]:
    """The stored rows that decide duplicates and caps for everyone asked, in one SELECT:
    the (subject, action, key) already awarded, and per (subject, action, day) the points
    of a capped action awarded that day."""
    actions = sorted(rules)
    subjects = sorted({subject for subject, *_ in asked})
    keys = sorted({key for _, _, pairs, _, _ in asked for _, key in pairs})
    capped = [a for a in actions if rules[a].daily_cap]
    days = sorted({day for *_, day in asked})
    today_part = (
        f" OR (action IN ({placeholders(len(capped))}) AND day IN ({placeholders(len(days))}))"
        if capped
        else ""
    )
    sql = (
        f"SELECT subject, action, key, day, points FROM {Entry._meta.db_table} "  # noqa: S608
        f"WHERE subject IN ({placeholders(len(subjects))}) "
        f"AND action IN ({placeholders(len(actions))}) "
        f"AND ({connection.ops.quote_name('key')} IN ({placeholders(len(keys))}){today_part})"
    )
    on_days = [connection.ops.adapt_datefield_value(day) for day in days]
    params = [*subjects, *actions, *keys, *([*capped, *on_days] if capped else [])]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        stored = cursor.fetchall()
    taken = {(s, a, k) for s, a, k, _, _ in stored}
    today: dict[tuple, int] = {}
    wanted_days = set(days)
    for s, a, _, d, p in stored:
        # SQLite gives a date column back as its ISO text.
        d = d if isinstance(d, date) else date.fromisoformat(d)
        if d in wanted_days:
            today[s, a, d] = today.get((s, a, d), 0) + p
    return taken, today


def _decide(subject, owner, rules, wanted, points, at, day, taken, today, rows) -> list[Award]:
    """One person's outcomes, in order; the entries to write go to ``rows``, and ``taken``
    and ``today`` count them, for the next person of the batch (maybe the same one)."""
    outcomes = []
    for action, key in wanted:
        rule = rules.get(action)
        if rule is None:
            outcomes.append(Award(NO_RULE))
            continue
        if (subject, action, key) in taken:
            outcomes.append(Award(DUPLICATE))
            continue
        amount = rule.points if points is None else points
        if rule.daily_cap:
            amount = min(amount, rule.daily_cap - today.get((subject, action, day), 0))
        if amount <= 0:
            outcomes.append(Award(CAPPED))
            continue
        entry = Entry(
            subject=subject, action=action, key=key, points=amount, day=day, at=at,
            reason=rule.name, **owner,
        )  # fmt: skip
        taken.add((subject, action, key))
        today[subject, action, day] = today.get((subject, action, day), 0) + amount
        outcomes.append(Award(AWARDED, amount, entry))
        rows.append(entry)
    return outcomes


def deduct(who: Who, points: int, reason: str, *, by) -> Entry:
    """An editor takes points away, saying why; the ledger keeps who did it."""
    reason = reason.strip()
    if points <= 0 or not reason:
        raise ValueError("a deduction needs positive points and a reason")
    subject, owner = _owner(who)
    now = timezone.now()
    entry = Entry.objects.create(
        subject=subject, action=DEDUCT, key=uuid.uuid4().hex, points=-points,
        day=timezone.localdate(now), at=now, by=by, reason=reason[:200], **owner,
    )  # fmt: skip
    log.info("points deducted: %s %s by user %s", subject, points, getattr(by, "pk", None))
    return entry


def earned(subject: str, action: str, day: date) -> int:
    total = Entry.objects.filter(subject=subject, action=action, day=day).aggregate(
        s=Sum("points")
    )["s"]
    return total or 0


def total(who: Who) -> int:
    subject, _ = _owner(who)
    return Entry.objects.filter(subject=subject).aggregate(s=Sum("points"))["s"] or 0


@dataclass(frozen=True)
class Progress:
    rule: Rule
    today: int

    def __str__(self) -> str:
        cap = self.rule.daily_cap
        return f"{self.today}/{cap}" if cap else str(self.today)


def progress(who: Who, day: date | None = None) -> list[Progress]:
    """Today's points per enabled rule, shown to the member as "3/6"."""
    subject, _ = _owner(who)
    day = day or timezone.localdate()
    sums = dict(
        Entry.objects.filter(subject=subject, day=day)
        .values_list("action")
        .annotate(s=Sum("points"))
        .values_list("action", "s")
    )
    return [Progress(r, sums.get(r.action, 0)) for r in Rule.objects.filter(enabled=True)]
