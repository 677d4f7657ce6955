"""The message classifier: a category and an early-warning flag (思想动态预警) with its reason.

Pure Python, no Django: weighted terms and patterns (the rules the 留言管理员 edits), each
match discarded when a negation stands just before it in the same clause ("没有安全隐患"),
plus a weak sentiment signal that can tip a borderline score but never flags on its own.

The rules miss most plainly worded trouble, so a small trained model (flagmodel.py) may add a
flag the rules did not raise; its reason then says it is the model's judgement. The setting
INBOX_FLAG_MODEL (default on) switches it off; category, negation and rules are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from .textfold import normalise

CATEGORIES = ("question", "suggestion", "complaint", "help", "praise", "other")
WARN_THRESHOLD = 1.0
# A negation this many characters before a term, in the same clause, cancels the match.
NEGATION_REACH = 5
NEGATIONS = ("没有", "没", "无", "不是", "不存在", "不会", "并非", "未发现", "未", "不", "别", "非")
# Phrases that hold a negation word but do not negate what follows ("不得不", "无缘无故").
AFFIRMING = (
    "不得不",
    "不能不",
    "没有不",
    "不少",
    "不断",
    "不停",
    "不仅",
    "无缘无故",
    "不管",
    "不知道",
    "不够",
    "不听",
)
CLAUSE_SPLIT = re.compile(r"[，。！？；,.!?;\n]|但是|可是|但|不过")
# A warning term that names a channel, a rule or a piece of knowledge, in a clause that asks
# something ("举报电话是多少", "上访接待日是几号", "劳动仲裁时效是多久"), is asked about, not
# reported or threatened.
MENTION_NOUN = re.compile(
    r"[^，。！？；,.!?;\n]{0,2}?(电话|热线|信箱|邮箱|接待日|条例|规定|办法|制度|流程|程序|时效|讲座|"
    r"知识|案例|政策|咨询)"
)
QUESTION = re.compile(r"[?？]|吗|呢|多少|几|哪|什么|怎么|如何|是否|能否|多久")
NEGATIVE_MOOD = (
    "受不了",
    "气死",
    "憋屈",
    "心寒",
    "凭什么",
    "太过分",
    "寒心",
    "没人管",
    "绝望",
    "崩溃",
    "欺负",
    "忍无可忍",
    "活不下去",
    "不公平",
    "烦死",
    "睡不着",
    "真行",
    "呵呵",
)
POSITIVE_MOOD = ("谢谢", "感谢", "点赞", "满意", "辛苦了", "给力", "暖心", "好评")


@dataclass(frozen=True)
class RuleSpec:
    kind: str  # "warn" or "category"
    label: str  # the warning type (安全隐患 …) or the category code
    term: str
    weight: float = 1.0
    is_pattern: bool = False
    reason: str = ""


@dataclass(frozen=True)
class Result:
    category: str
    warn: bool
    why: str
    score: float = 0.0
    signals: tuple[str, ...] = field(default=())


def _negated(text: str, start: int) -> bool:
    clause_start = 0
    for m in CLAUSE_SPLIT.finditer(text, 0, start):
        clause_start = m.end()
    before = text[clause_start:start]
    for phrase in AFFIRMING:
        before = before.replace(phrase, "_" * len(phrase))
    before = before[-NEGATION_REACH:]
    return any(neg in before for neg in NEGATIONS)


def _asked_about(text: str, end: int) -> bool:
    """The match ending at `end` is the name of a channel or rule in a question."""
    if not MENTION_NOUN.match(text, end):
        return False
    clause_end = CLAUSE_SPLIT.search(text, end)
    clause_start = 0
    for m in CLAUSE_SPLIT.finditer(text, 0, end):
        clause_start = m.end()
    clause = text[clause_start : clause_end.end() if clause_end else len(text)]
    return bool(QUESTION.search(clause))


@lru_cache(maxsize=512)
def pattern_form(pattern: str) -> str:
    """A pattern as the folded text needs it: each character outside ASCII folded as the text
    is (罷工 → 罢工, ！ → !), escaped where it becomes punctuation (（ stays a literal
    bracket); ASCII is left alone, so \\D or \\S keep their meaning."""
    parts = []
    for char in pattern:
        if char.isascii():
            parts.append(char)
            continue
        folded = normalise(char)
        plain = all(c.isalnum() or not c.isascii() for c in folded)
        parts.append(folded if plain else re.escape(folded))
    return "".join(parts)


def _matches(rule: RuleSpec, text: str) -> list[tuple[int, int]]:
    if rule.is_pattern:
        try:
            spans = re.finditer(pattern_form(rule.term), text)
            return [m.span() for m in spans if m.end() > m.start()]
        except re.error:
            return []
    term = normalise(rule.term)
    if not term:
        return []
    found, pos = [], text.find(term)
    while pos >= 0:
        found.append((pos, pos + len(term)))
        pos = text.find(term, pos + 1)
    return found


def _hits(rule: RuleSpec, text: str) -> bool:
    """True if the rule matches somewhere not negated (nor, for a warning term, asked about)."""
    for start, end in _matches(rule, text):
        if _negated(text, start):
            continue
        if rule.kind == "warn" and rule.weight > 0 and _asked_about(text, end):
            continue
        return True
    return False


def mood(text: str) -> float:
    """A weak sentiment signal: below zero for an upset tone, above for a grateful one."""
    negative = sum(text.count(w) for w in NEGATIVE_MOOD) + text.count("!!") + text.count("？？")
    positive = sum(text.count(w) for w in POSITIVE_MOOD)
    return max(-1.0, min(1.0, 0.3 * (positive - negative)))


def model_enabled() -> bool:
    """INBOX_FLAG_MODEL from Django's settings when there are any; on by default."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return bool(getattr(settings, "INBOX_FLAG_MODEL", True))
    except ImproperlyConfigured:  # no Django settings: the pure-Python use
        return True


def classify(text: str, rules: Iterable[RuleSpec], model: bool | None = None) -> Result:
    """Category and flag; `model` None means as the INBOX_FLAG_MODEL setting says."""
    norm = normalise(text)
    warn_scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}
    cat_scores = dict.fromkeys(CATEGORIES, 0.0)
    for rule in rules:
        if not _hits(rule, norm):
            continue
        if rule.kind == "warn":
            warn_scores[rule.label] = warn_scores.get(rule.label, 0.0) + rule.weight
            if rule.weight > 0:
                reasons.setdefault(rule.label, []).append(rule.reason or f"提到“{rule.term}”")
        elif rule.label in cat_scores:
            cat_scores[rule.label] += rule.weight
    tone = mood(norm)
    signals = tuple(label for label, s in warn_scores.items() if s > 0)
    score = sum(s for s in warn_scores.values())
    # The tone tips a borderline message either way; it never raises a flag from nothing.
    if signals and tone < 0:
        score += 0.4
    if tone > 0:
        score -= 0.3
    warn = bool(signals) and score >= WARN_THRESHOLD
    if warn:
        cat_scores["complaint"] += 0.5
    if tone < 0:
        cat_scores["complaint"] += 0.5
    if tone > 0:
        cat_scores["praise"] += 0.5
    best = max(CATEGORIES, key=lambda c: (cat_scores[c], -CATEGORIES.index(c)))
    category = best if cat_scores[best] > 0 else "other"
    why = explain(signals, reasons, tone) if warn else ""
    if not warn and (model_enabled() if model is None else model):
        from . import flagmodel  # lazy: trained on first use

        second = flagmodel.get()
        if second.flags(text):
            warn, why = True, second.why(text)
    return Result(category, warn, why, round(score, 2), signals)


def explain(signals: tuple[str, ...], reasons: dict[str, list[str]], tone: float) -> str:
    parts = []
    for label in signals:
        said = "；".join(dict.fromkeys(reasons.get(label, [])))
        parts.append(f"{label}：{said}" if said else label)
    why = "；".join(parts)
    if tone < 0:
        why += "；语气明显不满或焦虑"
    return why + "。"
