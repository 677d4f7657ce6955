"""Readers' comments on our WeChat articles wait in the one moderation queue beside the
reader site's: pulled in from the (fake) WeChat API, screened, and a decision in the queue is
carried to WeChat first (通过 = 精选, 退回 = 取消精选), refused decisions are not recorded."""

import pytest
from django.urls import reverse

from tests.base import user_in
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Item, Source, State
from weizhi.wechat.comments import services as comments
from weizhi.wechat.records.models import ArticleComment, WeChatSend

pytest_plugins = ["tests.fake_wechat_server"]

MSG_DATA_ID = "2247480077"


@pytest.fixture
def send(db) -> WeChatSend:
    return WeChatSend.objects.create(
        page_title="学习贯彻会议精神",
        mode=WeChatSend.Mode.MASS,
        status=WeChatSend.Status.SUCCEEDED,
        msg_id="1000077",
        msg_data_id=MSG_DATA_ID,
    )


@pytest.fixture
def moderator(db):
    return user_in("留言管理员", "moderator")


def pull(fake, send, texts: list[str]) -> list:
    made = [fake.state.add_comment(MSG_DATA_ID, f"o-r{i}", t) for i, t in enumerate(texts)]
    comments.pull_comments(send)
    return made


def item_of(made) -> Item:
    return ArticleComment.objects.get(user_comment_id=str(made.user_comment_id)).moderation_item


def test_pulled_comments_join_the_queue_once_marked_as_from_wechat(account_on_fake, send):
    fake = account_on_fake
    made = pull(fake, send, ["写得好", "学习了"])
    made[0].elected = True  # already 精选 in WeChat's console
    comments.pull_comments(send)
    fresh = fake.state.add_comment(MSG_DATA_ID, "o-new", "支持")
    comments.pull_comments(send)
    items = Item.objects.order_by("pk")
    assert [(i.text, i.source, i.title) for i in items] == [
        ("写得好", Source.WECHAT, "学习贯彻会议精神"),
        ("学习了", Source.WECHAT, "学习贯彻会议精神"),
        ("支持", Source.WECHAT, "学习贯彻会议精神"),
    ]
    assert item_of(fresh).state == State.PENDING
    assert item_of(made[1]).follower.openid == "o-r1"


def test_a_comment_already_chosen_in_wechat_joins_as_approved(account_on_fake, send):
    fake = account_on_fake
    made = fake.state.add_comment(MSG_DATA_ID, "o-e", "好文章")
    made.elected = True
    comments.pull_comments(send)
    assert item_of(made).state == State.APPROVED
    assert fake.count("/cgi-bin/comment/markelect") == 0


def test_approving_and_rejecting_in_the_queue_reach_wechat(account_on_fake, send, moderator):
    fake = account_on_fake
    made = pull(fake, send, ["说得对"])[0]
    moderation.approve(item_of(made), moderator)
    assert made.elected and ArticleComment.objects.get().elected
    moderation.reject(item_of(made), moderator, reason="与主题无关")
    assert not made.elected and not ArticleComment.objects.get().elected
    assert item_of(made).state == State.REJECTED


def test_a_decision_wechat_refuses_is_not_recorded(account_on_fake, send, moderator):
    fake = account_on_fake
    made = pull(fake, send, ["说得对"])[0]
    fake.fail_next("/cgi-bin/comment/markelect", 88000)
    with pytest.raises(moderation.ModerationError, match="微信未接受"):
        moderation.approve(item_of(made), moderator)
    assert item_of(made).state == State.PENDING
    assert not made.elected


def test_choosing_on_the_comment_page_shows_in_the_queue(account_on_fake, send, moderator, client):
    made = pull(account_on_fake, send, ["很受启发"])[0]
    comment = ArticleComment.objects.get()
    client.force_login(moderator)
    client.post(f"/admin/wechat/comment-actions/{comment.pk}/elect/")
    assert item_of(made).state == State.APPROVED
    client.post(f"/admin/wechat/comment-actions/{comment.pk}/delete/")
    assert item_of(made).events.filter(action="deleted").exists()


def test_the_queue_links_a_wechat_comment_to_its_page(account_on_fake, send, moderator, client):
    made = pull(account_on_fake, send, ["请问下次学习会在哪里开"])[0]
    item = item_of(made)
    client.force_login(moderator)
    page = client.get(reverse("moderation_item", args=[item.pk]))
    assert page.status_code == 200
    assert moderation.admin_link(item) in page.content.decode()
    assert client.get(moderation.admin_link(item)).status_code == 200
