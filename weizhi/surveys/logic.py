"""The rules of a questionnaire, without Django: how options and show-if conditions are
written in the builder, which pages a respondent walks through, and what a valid answer is.

A survey is a list of ``Item``s split into pages by page breaks. Every check the phone page
makes is made again here on the server, so a forged form (an answer to a hidden question,
an option never offered, text over the limit) is refused whatever the browser sent.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

SINGLE, MULTIPLE, RATING, NPS, MATRIX, RANKING = (
    "single",
    "multiple",
    "rating",
    "nps",
    "matrix",
    "ranking",
)
TEXT, TEXTAREA, NUMBER, DATE, FILE, DESCRIPTION, PAGE_BREAK = (
    "text",
    "textarea",
    "number",
    "date",
    "file",
    "description",
    "page_break",
)
CHOICE_KINDS = (SINGLE, MULTIPLE)
OPTION_KINDS = (SINGLE, MULTIPLE, MATRIX, RANKING)
NUMERIC_KINDS = (RATING, NPS, NUMBER)
NOT_ANSWERED = (DESCRIPTION, PAGE_BREAK)
END = "end"
MAX_OPTIONS = 26
TEXT_LIMIT, TEXTAREA_LIMIT, OTHER_LIMIT = 200, 2000, 100

_MARK = re.compile(r"\[\s*(其他|限额\s*(\d+)|跳到第?\s*(\d+)\s*页?|结束(?:问卷)?)\s*\]")
_CLAUSE = re.compile(r"^\s*(Q\d+)\s*(!=|>=|<=|=)\s*([A-Za-z0-9.|]+)\s*$", re.IGNORECASE)


class RuleError(ValueError):
    """A builder entry that cannot be understood; the message is shown to the editor."""


@dataclass(frozen=True)
class Option:
    key: str
    label: str
    other: bool = False
    quota: int | None = None
    jump: int | str | None = None  # a 1-based page number or END


@dataclass(frozen=True)
class Clause:
    code: str
    op: str
    values: tuple[str, ...]


# Any of the groups, each all of its clauses: "Q1=A 且 Q2=B 或 Q3=C".
Condition = tuple[tuple[Clause, ...], ...]


@dataclass
class Item:
    code: str  # Q1, Q2 … for questions; "" for descriptions and page breaks
    kind: str
    title: str
    required: bool = False
    options: list[Option] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    min_choices: int | None = None
    max_choices: int | None = None
    max_length: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    shuffle: bool = False
    condition: Condition = ()
    page: int = 0

    @property
    def answered(self) -> bool:
        return self.kind not in NOT_ANSWERED

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    def scale(self) -> list[int]:
        return list(range(1, 6)) if self.kind == RATING else list(range(0, 11))

    def text_limit(self) -> int:
        default = TEXTAREA_LIMIT if self.kind == TEXTAREA else TEXT_LIMIT
        return min(self.max_length or default, default)


def parse_options(text: str) -> list[Option]:
    """One option a line; marks in brackets: [其他] [限额30] [跳到第3页] [结束]."""
    options = []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        other, quota, jump = False, None, None
        for m in _MARK.finditer(line):
            word = m.group(1)
            if word == "其他":
                other = True
            elif m.group(2):
                quota = int(m.group(2))
                if quota < 1:
                    raise RuleError(f"“{line}”的限额至少为 1。")
            elif m.group(3):
                jump = int(m.group(3))
            else:
                jump = END
        label = _MARK.sub("", line).strip()
        if not label:
            raise RuleError(f"“{line}”没有选项文字。")
        if len(options) >= MAX_OPTIONS:
            raise RuleError(f"选项最多 {MAX_OPTIONS} 个。")
        options.append(Option(chr(ord("A") + len(options)), label, other, quota, jump))
    return options


def parse_condition(text: str) -> Condition:
    """“Q2=A”, “Q2=A|B”, “Q2!=A”, “Q5>=4”, joined by 且 (and) and 或 (or; 且 binds first)."""
    text = text.strip()
    if not text:
        return ()
    groups = []
    for part in re.split(r"\s*或\s*", text):
        clauses = []
        for piece in re.split(r"\s*且\s*", part):
            m = _CLAUSE.match(piece)
            if m is None:
                raise RuleError(f"无法理解条件“{piece}”，请写成 Q2=A、Q2=A|B 或 Q5>=4。")
            clauses.append(Clause(m.group(1).upper(), m.group(2), tuple(m.group(3).split("|"))))
        groups.append(tuple(clauses))
    return tuple(groups)


def check_rules(items: list[Item]) -> list[str]:
    """Whether the conditions and jumps fit the questionnaire; Chinese messages, one per fault."""
    errors = []
    earlier: dict[str, Item] = {}
    pages = 1 + max((i.page for i in items), default=0)
    for item in items:
        for group in item.condition:
            for clause in group:
                target = earlier.get(clause.code)
                if target is None:
                    errors.append(
                        f"{item.code or item.title}的显示条件引用的 {clause.code} "
                        "必须是排在它前面的题目（前面页面或本页靠前的题目）。"
                    )
                elif target.kind in OPTION_KINDS[:2] and any(
                    target.option(v) is None for v in clause.values
                ):
                    errors.append(f"{item.code}的显示条件引用了 {clause.code} 没有的选项。")
        for option in item.options:
            if isinstance(option.jump, int) and not item.page + 1 < option.jump <= pages:
                errors.append(f"{item.code}的选项“{option.label}”只能跳到后面的页面。")
        if item.answered:
            earlier[item.code] = item
    return errors


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def clause_holds(clause: Clause, answers: Mapping[str, Any]) -> bool:
    value = answers.get(clause.code)
    if value is None or value == "" or value == []:
        return False
    if clause.op in (">=", "<="):
        got, want = _number(value), _number(clause.values[0])
        if got is None or want is None:
            return False
        return got >= want if clause.op == ">=" else got <= want
    chosen = {str(v) for v in value} if isinstance(value, list) else {str(value)}
    hit = bool(chosen & set(clause.values))
    return hit if clause.op == "=" else not hit


def visible(item: Item, answers: Mapping[str, Any]) -> bool:
    if not item.condition:
        return True
    return any(all(clause_holds(c, answers) for c in group) for group in item.condition)


def page_count(items: list[Item]) -> int:
    return 1 + max((i.page for i in items), default=0)


def on_page(items: list[Item], page: int, answers: Mapping[str, Any]) -> list[Item]:
    """The items a respondent sees on a page, given their answers (this page's included)."""
    return [i for i in items if i.page == page and i.kind != PAGE_BREAK and visible(i, answers)]


def live(item: Item, items: list[Item]) -> bool:
    """Whether the item's condition names a question on its own page: such an item is put on
    the page and shown or hidden there as the answers above it change."""
    page = {i.code: i.page for i in items if i.answered}
    return any(page.get(c.code) == item.page for group in item.condition for c in group)


def candidates(items: list[Item], page: int, answers: Mapping[str, Any]) -> list[Item]:
    """The items a page may show: those visible now, and those whose condition looks at this
    page (the phone shows or hides them as the answers change; the server decides on submit).
    ``answers`` are the answers of the other pages."""
    return [
        i
        for i in items
        if i.page == page and i.kind != PAGE_BREAK and (live(i, items) or visible(i, answers))
    ]


def client_condition(item: Item, items: list[Item], answers: Mapping[str, Any]) -> list:
    """The condition as the phone's script evaluates it: clauses on this page as they are,
    clauses on other pages already decided here (True or False)."""
    page = {i.code: i.page for i in items if i.answered}
    return [
        [
            {"code": c.code, "op": c.op, "values": list(c.values)}
            if page.get(c.code) == item.page
            else clause_holds(c, answers)
            for c in group
        ]
        for group in item.condition
    ]


def next_page(items: list[Item], page: int, answers: Mapping[str, Any]) -> int | None:
    """The page after this one (0-based), or None when the survey ends here."""
    for item in on_page(items, page, answers):
        if item.kind == SINGLE and item.answered:
            option = item.option(str(answers.get(item.code, "")))
            if option is not None and option.jump == END:
                return None
            if option is not None and isinstance(option.jump, int):
                return option.jump - 1
    return page + 1 if page + 1 < page_count(items) else None


def path(items: list[Item], answers: Mapping[str, Any]) -> list[int]:
    pages, page = [], 0
    while page is not None and page not in pages:
        pages.append(page)
        page = next_page(items, page, answers)
    return pages


def shuffled(item: Item, seed: str) -> list[Option]:
    """The options in this respondent's order: shuffled where asked, "other" always last."""
    if not item.shuffle:
        return list(item.options)
    plain = [o for o in item.options if not o.other]
    # A seeded order, the same on every visit of this respondent; not a secret.
    random.Random(f"{seed}:{item.code}").shuffle(plain)  # noqa: S311
    return plain + [o for o in item.options if o.other]


class Refused(ValueError):
    """A submission no honest form can produce: refused whole, with a Chinese message."""


def _text(value: str, limit: int, what: str) -> str:
    if len(value) > limit:
        raise Refused(f"{what}超过 {limit} 字的上限，已拒绝。")
    return value.strip()


def read_page(
    items: list[Item],
    page: int,
    answers: Mapping[str, Any],
    data: Mapping[str, list[str]],
    offered: Mapping[str, set[str]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """One page's answers from a form (``data``: field name → values), and the errors to show.

    ``offered`` gives, per question, the option keys this respondent may still pick (quotas
    take full options away). Raises Refused for what only tampering produces.
    """
    codes = {i.code for i in items if i.page == page}
    base = {k: v for k, v in answers.items() if k.split(":")[0] not in codes}
    shown = [i for i in candidates(items, page, base) if i.answered]
    allowed = {i.code for i in shown}
    for name in data:
        if name[:1] == "Q" and name.split(".")[0].split(":")[0] not in allowed:
            raise Refused("提交的内容包含本页没有的题目，已拒绝。")
    got: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in shown:
        # Conditions on this page see the answers above the item, read in page order.
        if not visible(item, {**base, **got}):
            if _sent(item, data):
                raise Refused(f"{item.code}按您的选择不需作答，却提交了答案，已拒绝。")
            continue
        try:
            value = _read(item, data, offered.get(item.code, {o.key for o in item.options}))
        except ValueError as e:
            if isinstance(e, Refused):
                raise
            errors[item.code] = str(e)
            continue
        if value in (None, "", [], {}):
            if item.required:
                errors[item.code] = "此题必答。"
            continue
        got[item.code] = value
        other = [o for o in item.options if o.other and _chosen(value, o.key)]
        if other:
            text = _text(_one(data, f"{item.code}:other"), OTHER_LIMIT, "“其他”的说明")
            if not text:
                errors[item.code] = f"请填写“{other[0].label}”的具体内容。"
            got[f"{item.code}:other"] = text
    return got, errors


def _sent(item: Item, data: Mapping[str, list[str]]) -> bool:
    """Whether the form holds a non-empty answer to the item (a hidden text box of a page
    without script still sends an empty value: that is no answer)."""
    return any(
        any(v.strip() for v in values)
        for name, values in data.items()
        if name.split(".")[0].split(":")[0] == item.code
    )


def _chosen(value: Any, key: str) -> bool:
    return value == key or (isinstance(value, list) and key in value)


def _one(data: Mapping[str, list[str]], name: str) -> str:
    values = data.get(name) or [""]
    if len(values) > 1:
        raise Refused("同一题提交了多个答案，已拒绝。")
    return values[0]


def _read(item: Item, data: Mapping[str, list[str]], offered: set[str]) -> Any:
    code = item.code
    if item.kind == SINGLE:
        key = _one(data, code)
        if key and key not in offered:
            raise Refused("提交了未提供的选项，已拒绝。")
        return key
    if item.kind == MULTIPLE:
        keys = list(dict.fromkeys(data.get(code, [])))
        if any(k not in offered for k in keys):
            raise Refused("提交了未提供的选项，已拒绝。")
        if keys and item.min_choices and len(keys) < item.min_choices:
            raise ValueError(f"至少选择 {item.min_choices} 项。")
        if item.max_choices and len(keys) > item.max_choices:
            raise ValueError(f"最多选择 {item.max_choices} 项。")
        return keys
    if item.kind in (RATING, NPS):
        raw = _one(data, code)
        if not raw:
            return None
        if not raw.isdigit() or int(raw) not in item.scale():
            raise Refused("评分超出范围，已拒绝。")
        return int(raw)
    if item.kind == MATRIX:
        keys = {o.key for o in item.options}
        got = {}
        for n, _row in enumerate(item.rows):
            key = _one(data, f"{code}.{n}")
            if key and key not in keys:
                raise Refused("提交了未提供的选项，已拒绝。")
            if key:
                got[str(n)] = key
        if got and len(got) < len(item.rows):
            raise ValueError("请为每一行选择一项。")
        return got
    if item.kind == RANKING:
        ranks = {o.key: _one(data, f"{code}.{o.key}") for o in item.options}
        if not any(ranks.values()):
            return []
        expected = {str(n) for n in range(1, len(item.options) + 1)}
        if set(ranks.values()) != expected:
            raise ValueError("请为每一项排出不重复的名次。")
        return sorted(ranks, key=lambda k: int(ranks[k]))
    if item.kind in (TEXT, TEXTAREA):
        return _text(_one(data, code), item.text_limit(), "回答")
    if item.kind == NUMBER:
        raw = _one(data, code).strip()
        if not raw:
            return None
        number = _number(raw)
        if number is None or len(raw) > 20:
            raise ValueError("请填写数字。")
        if item.min_value is not None and number < item.min_value:
            raise ValueError(f"不能小于 {item.min_value:g}。")
        if item.max_value is not None and number > item.max_value:
            raise ValueError(f"不能大于 {item.max_value:g}。")
        return int(number) if number.is_integer() else number
    if item.kind == DATE:
        raw = _one(data, code).strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValueError("请填写正确的日期。") from None
    if item.kind == FILE:
        return _one(data, code)  # the stored file's name, put there by the view
    raise Refused("未知的题型。")


def finish(items: list[Item], answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The answers that count (those on the respondent's path through visible questions)
    and the codes of required questions still unanswered."""
    kept: dict[str, Any] = {}
    missing = []
    for page in path(items, answers):
        for item in on_page(items, page, answers):
            if not item.answered:
                continue
            if item.code in answers:
                kept[item.code] = answers[item.code]
                if f"{item.code}:other" in answers:
                    kept[f"{item.code}:other"] = answers[f"{item.code}:other"]
            elif item.required:
                missing.append(item.code)
    return kept, missing
