"""“答题” in the chat (or the menu's 每日答题): a link that signs the follower in and opens
today's quizzes on the member pages."""

import re

import pytest
from django.conf import settings

from tests import wechat_sender as wx
from tests.test_audience_support import member, tree
from weizhi.audience.models import Follower
from weizhi.wechat.models import ReplyRule
from weizhi.wechat.simulator.demo import RULES

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiz_rules(db):
    for spec in RULES:
        if spec.get("action") == "quiz":
            fields = {k: v for k, v in spec.items() if k != "action"}
            ReplyRule.objects.create(**fields, reply_type="action", action="quiz")


def link_in(reply: dict) -> str:
    found = re.search(r'<a href="([^"]+)">点此进入今日答题</a>', reply["Content"])
    assert found, reply
    return found.group(1).replace(settings.SITE_URL, "")


@pytest.mark.parametrize(
    "message",
    [wx.text("o-quiz", "答题"), wx.event("o-quiz", "CLICK", EventKey="QUIZ")],
    ids=["keyword", "menu"],
)
def test_the_link_signs_a_bound_follower_in_and_opens_the_quizzes(
    client, account_on_fake, quiz_rules, message
):
    branches = tree()
    Follower.objects.create(openid="o-quiz", member=member(branches["first"], "2001"))
    _, reply = wx.post(client, message)
    response = client.get(link_in(reply))
    assert response.status_code == 302 and response.url == "/quiz/"
    page = client.get("/quiz/")
    assert page.status_code == 200
    assert "答题" in page.content.decode()
