"""Demo surveys on the demo roster: a named topic survey and an anonymous poll, both with
generated responses, a sign-up with a waiting list, and a meeting with check-ins. Made the
same way on every run (a fixed random seed), and only what is missing is made."""

from __future__ import annotations

import contextlib
import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from weizhi.audience.demo import load_demo_audience
from weizhi.audience.models import Branch, Member

from . import checkin, services
from .models import CheckIn, Draft, Meeting, Question, Survey

TOPIC = "关于“学习强国”使用情况的话题调查"
POLL = "“最美党员”评选（匿名）"
SIGNUP = "七一主题党日参观活动报名"
MEETING = "第三季度党员大会"
SUGGESTIONS = [
    "希望多组织线下学习交流活动",
    "学习内容可以更贴近业务工作",
    "建议增加专题学习的积分奖励",
    "希望支部定期分享学习心得",
    "学习时间紧张，希望内容更精炼",
    "多组织参观红色教育基地",
]


def _survey(title: str, questions: list[tuple], **fields) -> tuple[Survey, bool]:
    existing = Survey.objects.filter(title=title).first()
    if existing:
        return existing, False
    s = Survey.objects.create(title=title, published=True, **fields)
    for n, (kind, text, *rest) in enumerate(questions):
        extra = rest[0] if rest else {}
        Question.objects.create(survey=s, sort_order=n, kind=kind, title=text, **extra)
    s.save()
    return s, True


def _answer(s: Survey, respondent: services.Respondent, answers: dict) -> None:
    token = services.person_token(s, respondent)
    # A full quota or a second answer: the demo simply has one fewer.
    with contextlib.suppress(services.SurveyError):
        services.submit(s, respondent, Draft(survey=s, token=token, answers=answers))


def _topic(members: list[Member], rng: random.Random) -> None:
    s, new = _survey(
        TOPIC,
        [
            (
                "single",
                "您每天使用“学习强国”的时间",
                {"options": "少于15分钟\n15–30分钟\n30–60分钟\n一小时以上"},
            ),
            (
                "multiple",
                "您最常用的栏目（最多选3项）",
                {"options": "要闻\n学习理论\n视频学习\n答题\n其他 [其他]", "max_choices": 3},
            ),
            ("rating", "您对本单位学习组织工作的满意度"),
            ("page_break", ""),
            (
                "matrix",
                "请评价以下方面",
                {"options": "好\n一般\n差", "rows": "学习内容\n组织形式\n考核激励"},
            ),
            ("nps", "您向同事推荐“学习强国”的可能性"),
            ("textarea", "您对改进学习工作的建议", {"required": False}),
        ],
        intro="本调查为实名调查，结果仅用于改进学习组织工作。",
        audience=Survey.Audience.MEMBERS,
        results_public=True,
    )
    if not new:
        return
    for m in members[:120]:
        answers = {
            "Q1": rng.choice("ABBCCD"),
            "Q2": rng.sample("ABCD", rng.randint(1, 3)),
            "Q3": rng.choice([3, 4, 4, 5, 5]),
            "Q4": {str(n): rng.choice("AAB" if n else "ABC") for n in range(3)},
            "Q5": rng.randint(4, 10),
        }
        if rng.random() < 0.5:
            answers["Q6"] = rng.choice(SUGGESTIONS)
        _answer(s, services.Respondent(f"m:{m.pk}", m), answers)


def _poll(members: list[Member], rng: random.Random) -> None:
    s, new = _survey(
        POLL,
        [
            (
                "single",
                "请投票选出您心中的“最美党员”",
                {"options": "张建国\n李红梅\n王志强\n赵晓燕", "shuffle": True},
            ),
            ("ranking", "请为以下先进事迹排序", {"options": "扎根基层\n攻坚克难\n志愿服务"}),
        ],
        anonymous=True,
        audience=Survey.Audience.MEMBERS,
        results_public=True,
    )
    if not new:
        return
    for m in members[40:190]:
        answers = {"Q1": rng.choice("AABBBCD"), "Q2": rng.sample("ABC", 3)}
        _answer(s, services.Respondent(f"m:{m.pk}", m), answers)


def _signup(members: list[Member]) -> None:
    s, new = _survey(
        SIGNUP,
        [("single", "乘车地点", {"options": "总部大楼\n生产基地"}), ("text", "联系电话")],
        kind=Survey.Kind.SIGNUP,
        capacity=30,
        closes_at=timezone.now() + timedelta(days=10),
    )
    if not new:
        return
    for n, m in enumerate(members[:34]):
        _answer(s, services.Respondent(f"m:{m.pk}", m), {"Q1": "AB"[n % 2], "Q2": m.phone or "—"})


def _meeting() -> None:
    if Meeting.objects.filter(title=MEETING).exists():
        return
    now = timezone.now()
    meeting = Meeting.objects.create(
        title=MEETING,
        location="三楼会议室",
        starts_at=now - timedelta(minutes=20),
        ends_at=now + timedelta(hours=2),
    )
    leaves = list(Branch.objects.filter(kind="branch").order_by("path")[:2])
    meeting.expected_branches.set(leaves)
    code = checkin.code(meeting)
    for m in checkin.expected(meeting)[: max(1, checkin.expected(meeting).count() * 3 // 4)]:
        with contextlib.suppress(checkin.CheckInError):
            checkin.check_in(meeting, m, code)


def load_demo_surveys() -> dict[str, int]:
    load_demo_audience()
    members = list(Member.objects.active().order_by("employee_number"))
    rng = random.Random(16)  # noqa: S311 (demo data, the same on every run)
    with transaction.atomic():
        _topic(members, rng)
        _poll(members, rng)
        _signup(members)
        _meeting()
    return {
        "surveys": Survey.objects.count(),
        "responses": sum(s.responses.count() for s in Survey.objects.all()),
        "checkins": CheckIn.objects.count(),
    }
