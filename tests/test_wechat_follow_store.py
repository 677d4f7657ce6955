"""Follows and unfollows stored in batches, as the callback's group commit hands them in:
each new one changes its follower, a retry of one already kept changes nothing, on SQLite
(one transaction) and on PostgreSQL (one statement) alike."""

import time

import pytest
from django.db import connection

from tests import wechat_sender as wx
from weizhi.audience.models import Follower
from weizhi.wechat.account import current_callback_config
from weizhi.wechat.callback import storage as services
from weizhi.wechat.models import InboundMessage, ReplyRule
from weizhi.wechat.protocol import decode_request
from weizhi.wechat.protocol.sender import message_xml

pytestmark = pytest.mark.django_db

WELCOME = "欢迎关注！"


@pytest.fixture(autouse=True)
def welcome():
    ReplyRule.objects.create(name="欢迎", trigger="subscribe", text=WELCOME)


def delivery(message: dict) -> services.Delivery:
    """A message as the callback hands it to the group commit: decoded and routed."""
    params, body = wx.sender().seal(message_xml(message))
    decoded = decode_request(current_callback_config(), params, body)
    outcome = services.route(decoded.message)
    return services.Delivery(services.message_row(decoded, outcome), decoded.message, outcome)


def follow(openid: str, at: int, **extra) -> dict:
    return wx.event(openid, "subscribe", CreateTime=at, **extra)


def unfollow(openid: str, at: int) -> dict:
    return wx.event(openid, "unsubscribe", CreateTime=at)


def test_a_retried_follow_in_a_batch_with_new_ones_changes_nothing_and_gets_the_same_answer():
    now = int(time.time())
    services.store([delivery(follow("o-a", now - 10))])
    services.store([delivery(unfollow("o-a", now - 5))])
    retried, new = delivery(follow("o-a", now - 10)), delivery(follow("o-b", now))
    services.store([retried, new])

    a, b = Follower.objects.get(openid="o-a"), Follower.objects.get(openid="o-b")
    assert not a.subscribed  # the late retry did not follow again
    assert a.unsubscribed_at.timestamp() == now - 5
    assert b.subscribed and b.subscribed_at.timestamp() == now
    assert retried.reply.content == new.reply.content == WELCOME
    first = InboundMessage.objects.get(openid="o-a", event="subscribe")
    assert first.duplicates == 1
    assert InboundMessage.objects.count() == 3


def test_follows_with_and_without_a_scene_and_unfollows_share_a_batch():
    now = int(time.time())
    Follower.objects.create(openid="o-leaving", remark="老王", subscribed=True)
    Follower.objects.create(openid="o-back", qr_scene="old-poster", subscribed=False)
    batch = [
        delivery(follow("o-poster", now, EventKey="qrscene_poster-7", Ticket="t")),
        delivery(unfollow("o-leaving", now)),
        delivery(follow("o-back", now)),
        delivery(wx.text("o-back", "你好")),
    ]
    services.store(batch)

    poster = Follower.objects.get(openid="o-poster")
    assert poster.subscribed and poster.qr_scene == "poster-7"
    assert poster.created_at is not None and poster.remark == "" and not poster.simulated
    leaving = Follower.objects.get(openid="o-leaving")
    assert not leaving.subscribed and leaving.unsubscribed_at.timestamp() == now
    assert leaving.remark == "老王"  # an upsert sets only what the event says
    back = Follower.objects.get(openid="o-back")
    assert back.subscribed and back.qr_scene == "old-poster"  # no scene: the old one stays
    assert InboundMessage.objects.count() == 4
    assert [d.reply.content if d.reply else None for d in batch[:3]] == [WELCOME, None, WELCOME]


def test_one_follower_following_and_leaving_in_one_batch_ends_as_the_last_event_says():
    now = int(time.time())
    services.store([delivery(follow("o-quick", now - 1)), delivery(unfollow("o-quick", now))])
    quick = Follower.objects.get(openid="o-quick")
    assert not quick.subscribed
    assert quick.subscribed_at.timestamp() == now - 1
    assert quick.unsubscribed_at.timestamp() == now
    assert InboundMessage.objects.filter(openid="o-quick").count() == 2


def test_values_longer_than_the_follower_columns_are_cut_to_fit_not_refused():
    now = int(time.time())
    long_id, scene = "o" + "x" * 99, "s" * 100
    services.store([delivery(follow(long_id, now, EventKey=f"qrscene_{scene}"))])
    follower = Follower.objects.get()
    assert follower.openid == long_id[:64] and follower.qr_scene == scene[:64]
    assert InboundMessage.objects.get().openid == long_id[:64]


def test_on_postgresql_a_follow_is_stored_in_one_statement(django_assert_num_queries):
    if connection.vendor != "postgresql":
        # SQLite has no data-modifying CTEs: there it is one transaction (tests above).
        assert not services._follows_in_statement([delivery(follow("o-x", int(time.time())))])
        return
    one = delivery(follow("o-one", int(time.time())))
    with django_assert_num_queries(1) as queries:
        services.store([one, delivery(wx.text("o-other", "在吗"))])
    sql = queries.captured_queries[0]["sql"]
    assert sql.startswith("WITH m AS (INSERT INTO") and "audience_follower" in sql
    assert Follower.objects.get(openid="o-one").subscribed
