"""The admin's 发布到公众号: who may use it, on which pages, and the send log."""

import pytest
from django.urls import reverse

from tests import factories
from tests.base import superuser, user_in
from weizhi.audience.models import FollowerTag
from weizhi.wechat.outbound.models import WeChatSend
from weizhi.wechat.outbound.wagtail_hooks import send_button_in_header

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
