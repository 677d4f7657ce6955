"""Demo content for the quiz: the bank in demo_questions.py (each row checked by the same
rules as an import), a 自测一分钟, a 每日一练, a 党章 专项, a 挑战, and a 现场竞答 ready to
start. Idempotent."""

from __future__ import annotations

from django.db import transaction

from . import bank
from .demo_questions import ALL
from .live import default_board, draw, new_code
from .models import Activity, LiveSession, Phase, Question, stem_key

LIVE_TITLE = "主题党日现场竞答"

ACTIVITIES = [
    {"title": "自测一分钟", "mode": "selftest", "question_count": 5, "time_limit": 60,
     "attempts_per_day": 3},
    {"title": "每日一练", "mode": "daily", "question_count": 5, "attempts_per_day": 1},
    {"title": "党章专项答题", "mode": "topic", "question_count": 10, "category": "党章"},
    {"title": "挑战答题", "mode": "challenge", "question_count": 20, "attempts_per_day": 2},
    {"title": "主题党日现场竞答", "mode": "topic", "question_count": 8, "category": "党章"},
]  # fmt: skip


def rows() -> list[dict]:
    """The demo questions as Question fields; raises if one breaks the import's rules."""
    fields = []
    for kind, stem, options, answer, explanation, category, difficulty in ALL:
        row = {"题型": kind, "题干": stem, "答案": answer, "解析": explanation,
               "分类": category, "难度": difficulty}  # fmt: skip
        row.update(
            {f"选项{letter}": text for letter, text in zip("ABCDEFGH", options, strict=False)}
        )
        fields.append(bank.parse_row(row))
    return fields


@transaction.atomic
def load_demo_quiz() -> int:
    """Create what is missing; returns how many questions were added."""
    known = set(Question.objects.values_list("stem_key", flat=True))
    new = [
        Question(**f, source="微智演示题库", stem_key=stem_key(f["stem"]))
        for f in rows()
        if stem_key(f["stem"]) not in known
    ]
    for f in new:
        if f.kind == "multiple":
            f.partial = "half"
    Question.objects.bulk_create(new)
    for spec in ACTIVITIES:
        Activity.objects.get_or_create(title=spec["title"], defaults=spec)
    _live_session()
    return len(new)


def _live_session() -> None:
    """A 现场竞答 waiting in its lobby (guests welcome), unless one is waiting already."""
    activity = Activity.objects.get(title=LIVE_TITLE)
    if activity.live_sessions.filter(phase=Phase.LOBBY).exists():
        return
    LiveSession.objects.create(
        activity=activity, code=new_code(), allow_guests=True, seconds=20, drawn=draw(activity),
        board=default_board(activity),  # as when an editor opens one
    )  # fmt: skip
