"""Builders for the survey tests (no tests here): surveys made through the real models."""

from __future__ import annotations

from django.test import Client

from weizhi.audience import identity
from weizhi.surveys.models import Question, Survey


def survey(questions: list[dict], **fields) -> Survey:
    """A published survey; each question a dict of Question fields (kind, title, options …)."""
    fields.setdefault("title", "测试问卷")
    fields.setdefault("published", True)
    fields.setdefault("audience", Survey.Audience.MEMBERS)
    s = Survey.objects.create(**fields)
    for n, q in enumerate(questions):
        q.setdefault("title", f"第{n + 1}项" if q.get("kind") != "page_break" else "")
        Question.objects.create(survey=s, sort_order=n, **q)
    s.save()  # numbers the questions
    return s


def logic_survey(**fields) -> Survey:
    """Page 1: Q1 single (A 是 / B 否 → end); page 2: Q2 shown only if Q1=A, Q3 text."""
    return survey(
        [
            {"kind": "single", "title": "是否参加过主题党日？", "options": "是\n否 [结束]"},
            {"kind": "page_break"},
            {"kind": "rating", "title": "给活动打分", "show_if": "Q1=A"},
            {"kind": "textarea", "title": "有什么建议？", "required": False},
        ],
        **fields,
    )


def signed_in(member) -> Client:
    client = Client()
    session = client.session
    session[identity.SESSION_MEMBER_KEY] = member.pk
    session[identity.SESSION_MEMBER_HASH] = identity._password_digest(member)
    session.save()
    return client


def answer_url(s: Survey, page: int | None = None) -> str:
    return f"/s/{s.pk}/" + (f"?p={page}" if page else "")


def respond(s: Survey, answers: dict, member=None, key: str | None = None):
    """Submits answers through the service, as a member or as an anonymous browser."""
    from weizhi.surveys import services
    from weizhi.surveys.models import Draft

    person = services.Respondent(key or f"m:{member.pk}", member)
    draft = Draft(survey=s, token=services.person_token(s, person), answers=answers)
    return services.submit(s, person, draft)
