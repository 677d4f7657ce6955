"""The admin's 发布到公众号: who may use it, on which pages, and the send log."""

import pytest
from django.urls import reverse

from tests import factories
from tests.base import superuser, user_in
from weizhi.audience.models import FollowerTag
from weizhi.wechat.publishing.hooks import send_button_in_header
from weizhi.wechat.records.models import WeChatSend

pytest_plugins = ["tests.fake_wechat_server"]


def send_url(page) -> str:
    return reverse("wechat_outbound_send", args=[page.pk])


def refused(response) -> bool:
    """Wagtail answers a PermissionDenied in its admin with a redirect to the dashboard."""
    return response.status_code == 302 and response.url == reverse("wagtailadmin_home")


@pytest.fixture
def story(home):
    return factories.article(title="可发布的稿件", cover=factories.image("封面"))


def test_the_final_reviewer_sees_the_form_and_the_button(client, story):
    reviewer = user_in("终审")
    client.force_login(reviewer)
    response = client.get(send_url(story))
    assert response.status_code == 200
    assert "群发标签" in response.content.decode()
    assert [b.url for b in send_button_in_header(story, reviewer, "edit")] == [send_url(story)]


def test_an_editor_may_not_send(client, story):
    editor = user_in("编辑")
    client.force_login(editor)
    assert refused(client.get(send_url(story)))
    assert refused(client.post(send_url(story), {"mode": "publish"}))
    assert list(send_button_in_header(story, editor, "edit")) == []
    assert not WeChatSend.objects.exists()


def test_a_page_that_is_not_live_cannot_be_sent(client, home):
    draft = factories.article(title="未发布", publish=False)
    client.force_login(superuser())
    assert refused(client.get(send_url(draft)))


def test_a_column_is_not_a_story_to_send(client, home):
    client.force_login(superuser())
    assert refused(client.get(send_url(factories.column())))


def test_submitting_the_form_sends_and_lists_the_result(
    client, story, account_on_fake, django_capture_on_commit_callbacks
):
    account_on_fake.state.tags[100] = "党员"
    account_on_fake.state.add_user("o-member", tag_ids=[100])
    account_on_fake.state.add_user("o-editor")
    tag = FollowerTag.objects.create(name="党员", wechat_id=100)
    reviewer = user_in("终审")
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            send_url(story), {"mode": "mass", "tag": tag.pk, "preview_openids": "o-editor\n"}
        )
    assert response.status_code == 302
    send = WeChatSend.objects.get()
    assert send.requested_by == reviewer and send.tag_name == "党员"
    assert send.status == WeChatSend.Status.SUBMITTED, send.message
    listing = client.get(reverse("wechat_outbound_sends")).content.decode()
    assert "可发布的稿件" in listing and "已提交" in listing


def test_mass_send_without_a_tag_is_refused_by_the_form(client, story):
    client.force_login(user_in("终审"))
    response = client.post(send_url(story), {"mode": "mass"})
    assert response.status_code == 200
    assert "群发需要选择粉丝标签" in response.content.decode()
    assert not WeChatSend.objects.exists()


def test_the_send_log_is_for_those_who_may_publish(client, home):
    client.force_login(user_in("编辑"))
    assert refused(client.get(reverse("wechat_outbound_sends")))
    client.force_login(user_in("终审", "reviewer2"))
    assert client.get(reverse("wechat_outbound_sends")).status_code == 200


def test_the_page_editor_offers_the_button_for_a_live_story(client, story):
    client.force_login(superuser())
    page = client.get(reverse("wagtailadmin_pages:edit", args=[story.pk])).content.decode()
    assert send_url(story) in page and "发布到公众号" in page


def post_send(client, page, capture, **fields):
    with capture(execute=True):
        return client.post(send_url(page), fields)


def test_a_multi_article_message_is_published_with_its_second_articles_in_order(
    client, story, account_on_fake, django_capture_on_commit_callbacks
):
    second = factories.article(title="次条之一", cover=factories.image("封面二"))
    third = factories.article(title="次条之二", cover=factories.image("封面三"))
    client.force_login(user_in("终审"))
    form = client.get(send_url(story)).content.decode()
    assert "次条 7" in form and "次条之一" in form
    response = post_send(
        client,
        story,
        django_capture_on_commit_callbacks,
        mode="publish",
        more_1=third.pk,
        more_3=second.pk,
    )
    assert response.status_code == 302
    send = WeChatSend.objects.get()
    assert send.status == WeChatSend.Status.SUBMITTED, send.message
    assert send.more_pages == [third.pk, second.pk]
    articles = account_on_fake.state.published_articles[send.publish_id]
    assert [a["title"] for a in articles] == ["可发布的稿件", "次条之二", "次条之一"]
    listing = client.get(reverse("wechat_outbound_sends")).content.decode()
    assert "另有 2 篇次条" in listing


def test_a_second_article_twice_or_a_draft_is_refused_and_nothing_is_sent(client, story):
    other = factories.article(title="另一篇")
    draft = factories.article(title="草稿", publish=False)
    client.force_login(user_in("终审"))
    response = client.post(
        send_url(story), {"mode": "publish", "more_1": other.pk, "more_2": other.pk}
    )
    assert "同一篇稿件不能作为两个次条" in response.content.decode()
    response = client.post(send_url(story), {"mode": "publish", "more_1": draft.pk})
    assert response.status_code == 200 and "more_1" in response.content.decode()
    response = client.post(send_url(story), {"mode": "publish", "more_1": story.pk})
    assert response.status_code == 200
    assert not WeChatSend.objects.exists()


def test_a_preview_goes_to_a_wechat_id_as_well_as_an_openid(
    client, story, account_on_fake, django_capture_on_commit_callbacks
):
    account_on_fake.state.add_user("o-editor")
    client.force_login(user_in("终审"))
    post_send(
        client,
        story,
        django_capture_on_commit_callbacks,
        mode="preview",
        preview_openids="o-editor",
        preview_wxnames="zhang_san-01\n",
    )
    send = WeChatSend.objects.get()
    assert send.status == WeChatSend.Status.SUCCEEDED, send.message
    assert "已发送预览给 2 位粉丝" in send.message
    to = [
        {k: p[k] for k in ("touser", "towxname") if k in p} for p in account_on_fake.state.previews
    ]
    assert to == [{"touser": "o-editor"}, {"towxname": "zhang_san-01"}]


def test_a_preview_to_a_nickname_is_refused_in_chinese(client, story):
    client.force_login(user_in("终审"))
    response = client.post(send_url(story), {"mode": "preview", "preview_wxnames": "张三"})
    assert "“张三”不是有效的微信号" in response.content.decode()
    assert not WeChatSend.objects.exists()


def test_a_failed_send_has_a_retry_button_that_sends_it_again(
    client, story, account_on_fake, django_capture_on_commit_callbacks
):
    second = factories.article(title="次条", cover=factories.image("封面二"))
    account_on_fake.fail_next("/cgi-bin/draft/add", 45009)
    client.force_login(user_in("终审"))
    post_send(client, story, django_capture_on_commit_callbacks, mode="publish", more_1=second.pk)
    failed = WeChatSend.objects.get()
    assert failed.status == WeChatSend.Status.FAILED
    retry_url = reverse("wechat_outbound_retry", args=[failed.pk])
    assert retry_url in client.get(reverse("wechat_outbound_sends")).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(retry_url)
    assert response.status_code == 302
    again = WeChatSend.objects.exclude(pk=failed.pk).get()
    assert again.retry_of == failed and again.more_pages == [second.pk]
    assert again.status == WeChatSend.Status.SUBMITTED, again.message
    failed.refresh_from_db()
    assert failed.status == WeChatSend.Status.FAILED  # keeps its reason
    listing = client.get(reverse("wechat_outbound_sends")).content.decode()
    assert listing.count(">重试</button>") == 0  # retried once: its button is gone
    # A second click on the failed one, or a send that did not fail, sends nothing again.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(retry_url)
    client.post(reverse("wechat_outbound_retry", args=[again.pk]))
    assert WeChatSend.objects.count() == 2


def test_only_those_who_may_publish_the_story_may_retry(client, story):
    failed = WeChatSend.objects.create(
        page=story, page_title=story.title, mode="publish", status="failed"
    )
    client.force_login(user_in("编辑"))
    assert refused(client.post(reverse("wechat_outbound_retry", args=[failed.pk])))
    assert client.get(reverse("wechat_outbound_retry", args=[failed.pk])).status_code in (
        302,
        405,
    )
    assert WeChatSend.objects.count() == 1
