"""Builders for the quiz tests (no tests here)."""

from __future__ import annotations

from django.urls import reverse

from tests.test_audience_support import member
from weizhi.audience import services as audience
from weizhi.quiz.models import Activity, Question

PASSWORD = "hongqi-2026-党建"


def bank(n_single: int = 4, n_judge: int = 3, category: str = "党章") -> list[Question]:
    made = []
    for i in range(n_single):
        made.append(
            Question.objects.create(
                kind="single",
                stem=f"单选{i}",
                options=["甲", "乙", "丙", "丁"],
                answer="B",
                explanation=f"解析单选{i}",
                category=category,
                score=2,
            )
        )
    for i in range(n_judge):
        made.append(
            Question.objects.create(
                kind="judge",
                stem=f"判断{i}",
                answer="对",
                explanation=f"解析判断{i}",
                category="党规",
            )
        )
    return made


def one_minute(**fields) -> Activity:
    fields = {"title": "自测一分钟", "mode": "selftest", "question_count": 5, "time_limit": 60,
              **fields}  # fmt: skip
    return Activity.objects.create(**fields)


def signed_in(client, branch, number: str, name: str = "王芳", **fields):
    person = member(branch, number, name=name, **fields)
    audience.set_member_password(person, PASSWORD)
    response = client.post(
        reverse("audience:login"), {"employee_number": number, "password": PASSWORD}
    )
    assert response.status_code == 302
    return person


def right_given(question: Question) -> list[str]:
    if question.kind == "blank":
        return [b.split("|")[0] for b in question.answer.split(";")]
    return list(question.answer)
