"""Slow actions: the callback answers at once, and a task sends the real answer later as a
customer-service message through the (fake) WeChat API."""

import pytest

from tests import factories
from tests import wechat_sender as wx
from weizhi.wechat.models import InboundMessage, ReplyRule

pytestmark = pytest.mark.django_db


def post(capture, client, message):
    """POST through the callback and run what it left for after its commit (the task)."""
    with capture(execute=True):
        return wx.post(client, message)


@pytest.fixture
def search_rule(db):
    return ReplyRule.objects.create(
        name="搜索",
        trigger="keyword",
        keywords=r"^搜索\s*(.+)$",
        match="regex",
        reply_type="action",
        action="search",
    )


def test_a_search_is_acknowledged_at_once_and_answered_by_a_customer_message(
    client, account_on_fake, search_rule, home, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-search")
    factories.article(title="学习党章的体会", body="认真学习党章")
    _, reply = post(django_capture_on_commit_callbacks, client, wx.text("o-search", "搜索 党章"))
    assert "正在搜索“党章”" in reply["Content"]
    sent = account_on_fake.state.custom_messages
    assert len(sent) == 1
    assert sent[0]["touser"] == "o-search"
    assert sent[0]["msgtype"] == "news"
    assert sent[0]["news"]["articles"][0]["title"] == "学习党章的体会"
    stored = InboundMessage.objects.get()
    assert stored.status == InboundMessage.Status.SENT_LATER
    assert stored.reply["content"].startswith("正在搜索")
    assert stored.late_reply["type"] == "news"


def test_a_retried_search_is_sent_once(
    client, account_on_fake, search_rule, home, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-search")
    factories.article(title="党章学习")
    message = wx.text("o-search", "搜索 党章")
    post(django_capture_on_commit_callbacks, client, message)
    post(django_capture_on_commit_callbacks, client, message)
    assert len(account_on_fake.state.custom_messages) == 1


def test_a_late_answer_wechat_refuses_is_marked_failed_not_lost(
    client, account_on_fake, search_rule, home, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-late")
    account_on_fake.fail_next("/cgi-bin/message/custom/send", 45015)
    _, reply = post(django_capture_on_commit_callbacks, client, wx.text("o-late", "搜索 党章"))
    assert "正在搜索" in reply["Content"]
    stored = InboundMessage.objects.get()
    assert stored.status == InboundMessage.Status.FAILED
    assert stored.content == "搜索 党章"
