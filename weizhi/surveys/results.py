"""What the responses add up to: counts per option, scores, keywords of text answers,
cross-tabulations, the filtered set of responses, and the rows of the export.

Responses are read once as plain rows (answers, branch, status) and counted in Python: a
survey holds thousands of responses, not millions, and a JSON answer is counted the same way
on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.safestring import SafeString

from weizhi.audience.models import Branch, PoliticalStatus
from weizhi.audience.scope import administered_branches, sees_everything
from weizhi.core import charts
from weizhi.search.segment import index_tokens

from . import logic
from .models import Response, Survey

KEYWORDS, TEXTS_SHOWN = 20, 50


def visible_responses(user, survey: Survey) -> QuerySet[Response]:
    """The responses a user may count: all for those who see the whole roster; for a 支部书记
    the named responses of their subtree, and nothing of an anonymous survey."""
    responses = Response.objects.filter(survey=survey, cancelled_at__isnull=True)
    if sees_all(user):
        return responses
    if survey.anonymous:
        return responses.none()
    paths = [b.path for b in administered_branches(user)]
    if not paths:
        return responses.none()
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(branch__path__startswith=p)
    return responses.filter(q)


def sees_all(user) -> bool:
    """Those who manage surveys (and the roster's administrators) count every response."""
    return sees_everything(user) or user.has_perm("surveys.change_survey")


@dataclass
class Row:
    answers: dict[str, Any]
    branch_id: int | None
    status: str


def rows(responses: QuerySet[Response]) -> list[Row]:
    return [Row(a, b, s) for a, b, s in responses.values_list("answers", "branch_id", "status")]


def matches(row: Row, filters: dict[str, str]) -> bool:
    """Filters: a question code → an option key, "branch" → a branch id, "status" → a status."""
    for key, want in filters.items():
        if key == "branch":
            if str(row.branch_id) != want:
                return False
        elif key == "status":
            if row.status != want:
                return False
        elif not logic._chosen(row.answers.get(key), want) and str(row.answers.get(key)) != want:
            return False
    return True


def keyword_counts(texts: Iterable[str], top: int = KEYWORDS) -> list[tuple[str, int]]:
    """The words (two-character pieces of Chinese, whole words otherwise) most answers use,
    each answer counted once per word."""
    counts: Counter = Counter()
    for text in texts:
        counts.update({t for t in index_tokens(text) if len(t) >= 2})
    return counts.most_common(top)


@dataclass
class Summary:
    item: logic.Item
    answered: int = 0
    chart: SafeString | None = None
    figures: list[tuple[str, str]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    keywords: list[tuple[str, int]] = field(default_factory=list)


def _values(item: logic.Item, data: list[Row]) -> list[Any]:
    return [r.answers[item.code] for r in data if item.code in r.answers]


def summarise(item: logic.Item, data: list[Row]) -> Summary:
    values = _values(item, data)
    s = Summary(item, answered=len(values))
    title = f"{item.code} {item.title}"
    if item.kind in logic.CHOICE_KINDS:
        counts = Counter(k for v in values for k in (v if isinstance(v, list) else [v]))
        labels = [o.label for o in item.options]
        numbers = [counts[o.key] for o in item.options]
        draw = charts.pie if item.kind == logic.SINGLE and len(labels) <= 6 else charts.bar
        s.chart = draw(title, labels, numbers)
        s.texts = [
            r.answers[f"{item.code}:other"] for r in data if f"{item.code}:other" in r.answers
        ]
    elif item.kind in (logic.RATING, logic.NPS):
        counts = Counter(values)
        scale = item.scale()
        s.chart = charts.bar(title, [str(n) for n in scale], [counts[n] for n in scale])
        if values:
            s.figures.append(("平均分", f"{sum(values) / len(values):.2f}"))
        if item.kind == logic.NPS and values:
            promoters = sum(1 for v in values if v >= 9) / len(values)
            detractors = sum(1 for v in values if v <= 6) / len(values)
            s.figures.append(("净推荐值", f"{(promoters - detractors) * 100:.0f}"))
    elif item.kind == logic.MATRIX:
        grid = [[0] * len(item.options) for _ in item.rows]
        keys = [o.key for o in item.options]
        for v in values:
            for n, key in v.items():
                if int(n) < len(grid) and key in keys:
                    grid[int(n)][keys.index(key)] += 1
        s.chart = charts.stacked_bar(title, item.rows, [o.label for o in item.options], grid)
    elif item.kind == logic.RANKING:
        # A first place scores n points, the last one 1: the Borda count.
        n = len(item.options)
        points = Counter()
        for v in values:
            for place, key in enumerate(v):
                points[key] += n - place
        labels = [o.label for o in item.options]
        s.chart = charts.bar(title, labels, [points[o.key] for o in item.options], unit="分")
    elif item.kind in (logic.TEXT, logic.TEXTAREA):
        s.texts = [v for v in values if v][-TEXTS_SHOWN:]
        s.keywords = keyword_counts(v for v in values if v)
        if s.keywords:
            words, numbers = zip(*s.keywords[:10], strict=True)
            s.chart = charts.bar(f"{title}（关键词）", list(words), list(numbers), unit="次")
    elif item.kind == logic.NUMBER and values:
        s.figures += [
            ("平均", f"{sum(values) / len(values):.2f}"),
            ("最小", f"{min(values):g}"),
            ("最大", f"{max(values):g}"),
        ]
    elif item.kind == logic.DATE:
        counts = Counter(values).most_common(10)
        if counts:
            s.chart = charts.bar(title, [d for d, _ in counts], [n for _, n in counts])
    elif item.kind == logic.FILE:
        s.texts = [v for v in values if v][-TEXTS_SHOWN:]
    return s


def summaries(items: list[logic.Item], data: list[Row]) -> list[Summary]:
    return [summarise(item, data) for item in items if item.answered]


@dataclass
class CrossTab:
    title: str
    rows: list[str]
    columns: list[str]
    counts: list[list[int]]
    chart: SafeString


def crosstab(items: list[logic.Item], data: list[Row], code: str, by: str) -> CrossTab | None:
    """Counts of one choice question's options (columns) for each branch, political status,
    or option of another choice question (rows)."""
    item = next((i for i in items if i.code == code and i.kind in logic.CHOICE_KINDS), None)
    if item is None:
        return None
    if by == "branch":
        ids = sorted({r.branch_id for r in data if r.branch_id})
        names = dict(Branch.objects.filter(pk__in=ids).values_list("pk", "name"))
        groups = [(names.get(i, "—"), lambda r, i=i: r.branch_id == i) for i in ids]
    elif by == "status":
        groups = [
            (label, lambda r, v=value: r.status == v) for value, label in PoliticalStatus.choices
        ]
    else:
        other = next((i for i in items if i.code == by and i.kind in logic.CHOICE_KINDS), None)
        if other is None or other.code == code:
            return None
        groups = [
            (o.label, lambda r, k=o.key: logic._chosen(r.answers.get(by), k)) for o in other.options
        ]
    columns = [o.label for o in item.options]
    table_rows, counts = [], []
    for label, test in groups:
        picked = [r for r in data if test(r)]
        line = [
            sum(1 for r in picked if logic._chosen(r.answers.get(code), o.key))
            for o in item.options
        ]
        if by in ("branch", "status") and not any(line) and not picked:
            continue
        table_rows.append(label)
        counts.append(line)
    title = f"{item.code} {item.title} × " + {"branch": "党组织", "status": "政治面貌"}.get(by, by)
    return CrossTab(
        title, table_rows, columns, counts, charts.stacked_bar(title, table_rows, columns, counts)
    )


def display(item: logic.Item, answers: dict[str, Any]) -> str:
    """An answer as a person reads it, for the export and the printable summary."""
    value = answers.get(item.code)
    if value is None:
        return ""
    if item.kind in logic.CHOICE_KINDS:
        keys = value if isinstance(value, list) else [value]
        labels = [o.label for o in item.options if o.key in keys]
        other = answers.get(f"{item.code}:other")
        return "、".join(labels) + (f"（{other}）" if other else "")
    if item.kind == logic.MATRIX:
        names = {o.key: o.label for o in item.options}
        return "；".join(
            f"{row}：{names.get(value.get(str(n), ''), '')}" for n, row in enumerate(item.rows)
        )
    if item.kind == logic.RANKING:
        names = {o.key: o.label for o in item.options}
        return " > ".join(names.get(k, k) for k in value)
    return str(value)


def export_rows(survey: Survey, responses: QuerySet[Response]) -> Iterable[list[Any]]:
    """The header, then one row per response. An anonymous survey's rows say nothing of the
    person and come in random order (the responses' random keys), so not even the order of
    submission is kept."""
    items = [i for i in survey.items() if i.answered]
    people = not survey.anonymous
    head = ["提交日期"]
    if people:
        head += ["提交时间", "姓名", "工号", "所属组织", "政治面貌"]
    if survey.kind == Survey.Kind.SIGNUP:
        head += ["候补"]
    yield head + [f"{i.code} {i.title}" for i in items]
    status = dict(PoliticalStatus.choices)
    queryset = responses.select_related("member", "branch").order_by(
        "id" if survey.anonymous else "submitted_at"
    )
    for r in queryset.iterator(chunk_size=500):
        row: list[Any] = [r.submitted_on.isoformat()]
        if people:
            at = (
                timezone.localtime(r.submitted_at).strftime("%Y-%m-%d %H:%M")
                if r.submitted_at
                else ""
            )
            row += [
                at,
                r.member.name if r.member else "",
                r.member.employee_number if r.member else "",
                r.branch.name if r.branch else "",
                status.get(r.status, ""),
            ]
        if survey.kind == Survey.Kind.SIGNUP:
            row.append("是" if r.waiting else "")
        yield row + [display(i, r.answers) for i in items]
