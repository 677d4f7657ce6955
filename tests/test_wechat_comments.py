"""Comments on WeChat articles: pulled in, moderated in the admin, every change asked of the
fake WeChat API over HTTP first and written to Wagtail's audit log."""

from datetime import timedelta

import pytest
from django.utils import timezone
from wagtail.models import ModelLogEntry

from tests import factories
from tests.base import user_in
from weizhi.wechat.comments import services as comments
from weizhi.wechat.records.models import ArticleComment, WeChatSend

pytest_plugins = ["tests.fake_wechat_server"]

MSG_DATA_ID = "2247480001"


@pytest.fixture
def send(db) -> WeChatSend:
    return WeChatSend.objects.create(
        page_title="学习贯彻会议精神",
        mode=WeChatSend.Mode.MASS,
        status=WeChatSend.Status.SUCCEEDED,
        msg_id="1000001",
        msg_data_id=MSG_DATA_ID,
    )


@pytest.fixture
def moderator(db):
    return user_in("留言管理员", "moderator")


def seeded(fake, n: int = 3):
    made = [fake.state.add_comment(MSG_DATA_ID, f"o-reader-{i}", f"留言{i}") for i in range(n)]
    made[0].elected = True
    made[1].reply = {"content": "谢谢关注", "create_time": 1_700_000_000}
    return made


def pulled(send, fake, n: int = 3) -> list:
    made = seeded(fake, n)
    comments.pull_comments(send)
    return made


def row(made) -> ArticleComment:
    return ArticleComment.objects.get(user_comment_id=str(made.user_comment_id))


def actions(instance) -> list[str]:
    entries = ModelLogEntry.objects.for_instance(instance).order_by("timestamp", "pk")
    return [entry.action.rpartition(".")[2] for entry in entries]


def act(client, comment: ArticleComment, action: str, **data):
    return client.post(f"/admin/wechat/comment-actions/{comment.pk}/{action}/", data)


def test_pulling_creates_rows_and_pulling_again_changes_nothing(account_on_fake, send):
    fake = account_on_fake
    made = seeded(fake, 60)  # two pages of 49
    first = comments.pull_comments(send)
    assert (first.created, first.updated, first.seen) == (60, 0, 60)
    assert fake.count("/cgi-bin/comment/list") == 2
    assert row(made[0]).elected and row(made[0]).content == "留言0"
    assert row(made[1]).reply == "谢谢关注" and row(made[1]).reply_at.year == 2023
    assert row(made[2]).openid == "o-reader-2" and not row(made[2]).elected

    again = comments.pull_comments(send)
    assert (again.created, again.updated) == (0, 0)
    assert ArticleComment.objects.count() == 60

    made[2].elected = True  # elected in WeChat's own console: the next pull brings it in
    assert comments.pull_comments(send).updated == 1
    assert row(made[2]).elected
    assert actions(send) == ["comments_pull"] * 3


def test_moderation_reaches_wechat_and_is_recorded(account_on_fake, send, moderator, client):
    fake = account_on_fake
    made = pulled(send, fake)[2]
    comment = row(made)
    client.force_login(moderator)

    assert act(client, comment, "elect").status_code == 302
    assert made.elected and row(made).elected

    assert act(client, comment, "unelect").status_code == 302
    assert not made.elected and not row(made).elected

    assert act(client, comment, "reply", text="感谢您的留言，我们会认真研究。").status_code == 302
    assert made.reply["content"] == "感谢您的留言，我们会认真研究。"
    assert row(made).reply == "感谢您的留言，我们会认真研究。" and row(made).reply_at

    assert act(client, comment, "delete_reply").status_code == 302
    assert made.reply is None and row(made).reply == ""

    assert act(client, comment, "delete").status_code == 302
    assert made.deleted and row(made).deleted

    assert actions(comment) == ["comment_elect", "comment_unelect", "comment_reply",
                                "comment_reply_delete", "comment_delete"]  # fmt: skip
    entries = ModelLogEntry.objects.for_instance(comment)
    assert {entry.user_id for entry in entries} == {moderator.pk}
    deleted_reply = entries.get(action="wechat_outbound.comment_reply_delete")
    assert deleted_reply.data["reply"] == "感谢您的留言，我们会认真研究。"


def test_the_confirmation_is_a_get_and_changes_nothing(account_on_fake, send, moderator, client):
    made = pulled(send, account_on_fake)[2]
    client.force_login(moderator)
    response = client.get(f"/admin/wechat/comment-actions/{row(made).pk}/delete/")
    assert response.status_code == 200
    assert "从公众号文章中删除这条留言" in response.content.decode()
    assert account_on_fake.count("/cgi-bin/comment/delete") == 0
    assert not made.deleted and not row(made).deleted


def test_a_wechat_error_shows_a_chinese_message_and_changes_nothing(
    account_on_fake, send, moderator, client
):
    fake = account_on_fake
    made = pulled(send, fake)[2]
    comment = row(made)
    client.force_login(moderator)

    fake.fail_next("/cgi-bin/comment/markelect", 88000)
    response = act(client, comment, "elect")
    assert response.status_code == 200
    assert "公众号没有留言功能的权限" in response.content.decode()
    assert not made.elected and not row(made).elected

    made.reply = {"content": "在公众平台里回复过", "create_time": 1_700_000_000}
    response = act(client, comment, "reply", text="再回复一次")
    assert "该留言已经回复过了" in response.content.decode()
    assert made.reply["content"] == "在公众平台里回复过" and row(made).reply == ""

    made.deleted = True  # deleted in WeChat's console meanwhile
    response = act(client, comment, "delete")
    assert "微信中已没有这条留言" in response.content.decode()
    assert not row(made).deleted
    assert actions(comment) == []


def test_an_overlong_reply_is_refused_before_wechat(account_on_fake, send, moderator, client):
    made = pulled(send, account_on_fake)[2]
    client.force_login(moderator)
    response = act(client, row(made), "reply", text="长" * (comments.REPLY_MAX_CHARS + 1))
    assert response.status_code == 200
    assert account_on_fake.count("/cgi-bin/comment/reply/add") == 0
    assert row(made).reply == ""


def test_an_editor_cannot_moderate_by_url(account_on_fake, send, client):
    made = pulled(send, account_on_fake)[2]
    comment = row(made)
    client.force_login(user_in("编辑", "editor"))
    for action in ("elect", "delete", "reply"):
        response = act(client, comment, action, text="越权回复")
        assert response.status_code == 302 and response["Location"] == "/admin/"
    response = client.post(f"/admin/wechat/comment-articles/{send.pk}/close/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/article_comments/").status_code == 302
    for path in ("markelect", "delete", "reply/add", "close"):
        assert account_on_fake.count(f"/cgi-bin/comment/{path}") == 0
    assert not made.elected and not made.deleted and made.reply is None
    unchanged = row(made)
    assert (unchanged.elected, unchanged.deleted, unchanged.reply) == (False, False, "")
    assert actions(comment) == []


def test_nobody_edits_or_deletes_a_comment_by_the_generic_forms(
    account_on_fake, send, moderator, client
):
    comment = row(pulled(send, account_on_fake)[2])
    client.force_login(moderator)
    edit = client.post(f"/admin/article_comments/edit/{comment.pk}/", {"content": "改写"})
    delete = client.post(f"/admin/article_comments/delete/{comment.pk}/")
    assert edit.status_code == delete.status_code == 302
    assert ArticleComment.objects.get(pk=comment.pk).content == "留言2"


def test_the_listing_filters_and_searches(account_on_fake, send, moderator, client):
    pulled(send, account_on_fake, 5)
    client.force_login(moderator)
    page = client.get("/admin/article_comments/").content.decode()
    assert all(f"留言{i}" in page for i in range(5)) and "精选" in page

    elected = client.get("/admin/article_comments/", {"elected": "true"}).content.decode()
    assert "留言0" in elected and "留言3" not in elected
    replied = client.get("/admin/article_comments/", {"has_reply": "true"}).content.decode()
    assert "留言1" in replied and "留言0" not in replied
    found = client.get("/admin/article_comments/", {"q": "留言4"}).content.decode()
    assert "留言4" in found and "留言3" not in found


def test_the_listing_does_not_query_per_row(account_on_fake, send, moderator, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pulled(send, account_on_fake, 3)
    client.force_login(moderator)
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/article_comments/").status_code == 200
    for i in range(20):
        account_on_fake.state.add_comment(MSG_DATA_ID, f"o-more-{i}", f"更多留言{i}")
    comments.pull_comments(send)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/admin/article_comments/").status_code == 200
    assert len(many) == len(few)


def test_open_close_and_pull_from_the_articles_page(
    account_on_fake, send, moderator, client, django_capture_on_commit_callbacks
):
    fake = account_on_fake
    seeded(fake)
    client.force_login(moderator)
    base = f"/admin/wechat/comment-articles/{send.pk}"

    assert client.post(f"{base}/close/").status_code == 302
    assert not fake.state.comment_threads[(MSG_DATA_ID, 0)].open
    assert client.post(f"{base}/open/").status_code == 302
    assert fake.state.comment_threads[(MSG_DATA_ID, 0)].open

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{base}/pull/").status_code == 302
    assert send.comments.count() == 3
    assert actions(send) == ["comments_close", "comments_open", "comments_pull"]

    page = client.get("/admin/wechat/comment-articles/").content.decode()
    assert "学习贯彻会议精神" in page and "打开留言（" in page and "新增 3" in page


def test_a_failed_pull_is_shown_in_chinese_and_stores_nothing(
    account_on_fake, send, moderator, client, django_capture_on_commit_callbacks
):
    seeded(account_on_fake)
    account_on_fake.fail_next("/cgi-bin/comment/list", 88001)
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/wechat/comment-articles/{send.pk}/pull/")
    assert send.comments.count() == 0
    page = client.get("/admin/wechat/comment-articles/").content.decode()
    assert "微信找不到这篇图文" in page


def test_a_send_without_msg_data_id_is_refused_in_chinese(account_on_fake, send):
    send.msg_data_id = ""
    with pytest.raises(comments.CommentError, match="只有已提交的发布或群发"):
        comments.open_comments(send)
    assert account_on_fake.count("/cgi-bin/comment/open") == 0


def test_a_mass_send_gets_a_comment_thread_in_the_fake(account_on_fake, send):
    fake = account_on_fake
    fake.state.mass_sends.append({"msg_id": 1, "msg_data_id": 2247480002})
    send.msg_data_id = "2247480002"
    comments.open_comments(send)
    assert fake.state.comment_threads[("2247480002", 0)].open
    send.msg_data_id = "999"
    with pytest.raises(comments.CommentError) as refused:
        comments.open_comments(send)
    assert refused.value.errcode == 88001


def test_the_fake_checks_counts_replies_and_privilege(account_on_fake, send):
    from weizhi.wechat.api.client import default_client
    from weizhi.wechat.api.errors import WeChatAPIError

    fake = account_on_fake
    made = seeded(fake)[2]
    client = default_client()
    article = {"msg_data_id": int(MSG_DATA_ID), "index": 0}

    def errcode(path: str, **body) -> int:
        with pytest.raises(WeChatAPIError) as refused:
            client.post(path, {**article, **body})
        return refused.value.errcode

    assert errcode("/cgi-bin/comment/list", begin=0, count=51, type=0) == 88010
    assert errcode("/cgi-bin/comment/list", begin=0, count=0, type=0) == 88010
    uid = made.user_comment_id
    assert errcode("/cgi-bin/comment/reply/delete", user_comment_id=uid) == 87009
    assert errcode("/cgi-bin/comment/reply/add", user_comment_id=uid, content="") == 88007
    assert errcode("/cgi-bin/comment/markelect", user_comment_id=1) == 88008
    made.deleted_by_user = True
    assert errcode("/cgi-bin/comment/markelect", user_comment_id=uid) == 88004
    fake.state.comment_privilege = False
    assert errcode("/cgi-bin/comment/open") == 88000


# Freepublished articles (发布), and the daily pull.


def published(fake, capture, title: str = "发布的文章") -> WeChatSend:
    """A story through the real publish path: draft/add, freepublish/submit, then the poll."""
    from weizhi.wechat.publishing.poll import poll_publishes
    from weizhi.wechat.publishing.services import publish_to_wechat

    page = factories.article(title=title, cover=factories.image(f"{title}封面"))
    with capture(execute=True):
        send = publish_to_wechat(page, "publish")
    WeChatSend.objects.filter(pk=send.pk).update(next_poll_at=timezone.now())
    poll_publishes.enqueue()
    send.refresh_from_db()
    return send


def test_a_freepublished_article_has_its_comments_managed_too(
    account_on_fake, home, moderator, client, django_capture_on_commit_callbacks
):
    fake = account_on_fake
    send = published(fake, django_capture_on_commit_callbacks)
    assert send.status == WeChatSend.Status.SUCCEEDED and send.msg_data_id
    comments.open_comments(send, user=moderator)
    assert fake.state.comment_threads[(send.msg_data_id, 0)].open

    made = fake.state.add_comment(send.msg_data_id, "o-reader", "写得好")
    assert comments.pull_comments(send).created == 1
    comments.reply(row(made), "谢谢")
    assert made.reply["content"] == "谢谢"

    client.force_login(moderator)
    page = client.get("/admin/wechat/comment-articles/").content.decode()
    assert "发布的文章" in page


def test_a_failed_publish_offers_no_comments(
    account_on_fake, home, moderator, client, django_capture_on_commit_callbacks
):
    from weizhi.wechat.api.client import default_client
    from weizhi.wechat.api.errors import WeChatAPIError
    from weizhi.wechat.publishing.services import publish_to_wechat

    fake = account_on_fake
    page = factories.article(title="未通过审核", cover=factories.image("封面"))
    with django_capture_on_commit_callbacks(execute=True):
        send = publish_to_wechat(page, "publish")
    send.refresh_from_db()
    fake.state.publishes[send.publish_id]["publish_status"] = 4
    with pytest.raises(WeChatAPIError) as refused:  # the fake has no article to comment on
        default_client().post("/cgi-bin/comment/open", {"msg_data_id": send.msg_data_id})
    assert refused.value.errcode == 88001
    WeChatSend.objects.filter(pk=send.pk).update(status=WeChatSend.Status.FAILED)
    assert not comments.commentable_sends().filter(pk=send.pk).exists()
    client.force_login(moderator)
    assert "未通过审核" not in client.get("/admin/wechat/comment-articles/").content.decode()


def mass_send(title: str, msg_data_id: str, days_ago: int = 1) -> WeChatSend:
    send = WeChatSend.objects.create(
        page_title=title,
        mode=WeChatSend.Mode.MASS,
        status=WeChatSend.Status.SUCCEEDED,
        msg_data_id=msg_data_id,
    )
    WeChatSend.objects.filter(pk=send.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago)
    )
    return send


def test_the_daily_pull_brings_in_recent_open_articles_once_and_gets_past_a_failure(
    account_on_fake, moderator
):
    fake = account_on_fake
    failing = mass_send("先失败的文章", "2247480010", days_ago=3)
    fine = mass_send("近期打开留言", "2247480011")
    closed = mass_send("已关闭留言", "2247480012")
    old = mass_send("四十天前", "2247480013", days_ago=40)
    never = mass_send("从未打开", "2247480014")
    for send in (failing, fine, closed, old, never):
        fake.state.add_comment(send.msg_data_id, "o-reader", f"{send.page_title}的留言")
    for send in (failing, fine, closed, old):
        comments.open_comments(send, user=moderator)
    comments.close_comments(closed, user=moderator)

    fake.fail_next("/cgi-bin/comment/list", 88001)  # the oldest, asked first
    result = comments.pull_recent_comments.enqueue().return_value
    assert result == "拉取 2 篇文章的留言：新增 1 条，更新 0 条，1 篇失败。"
    assert fine.comments.count() == 1 and failing.comments.count() == 0
    assert not (closed.comments.exists() or old.comments.exists() or never.comments.exists())
    assert actions(failing)[-1] == "comments_pull_failed"

    fake.state.add_comment(fine.msg_data_id, "o-later", "第二条留言")
    result = comments.pull_recent_comments.enqueue().return_value
    assert result == "拉取 2 篇文章的留言：新增 2 条，更新 0 条。"
    assert fine.comments.count() == 2 and failing.comments.count() == 1
    assert ArticleComment.objects.count() == 3
    assert actions(fine) == ["comments_open", "comments_pull", "comments_pull"]
