"""Publishing a story to WeChat: conversion, draft, publish, preview and mass send, against
the fake WeChat API over HTTP, with tasks run inline."""

import pytest

from tests import factories
from weizhi.content.models import InfographicPage
from weizhi.wechat.protocol import MassSendJobFinishEvent, PublishedArticle, PublishJobFinishEvent
from weizhi.wechat.publishing.services import (
    on_mass_send_finished,
    on_publish_job_finished,
    publish_to_wechat,
    run_send,
)
from weizhi.wechat.records.models import UploadedMedia, WeChatSend

pytest_plugins = ["tests.fake_wechat_server"]

Status = WeChatSend.Status


def rich_article(home, **fields):
    image = factories.image("正文图")
    body = [
        {
            "type": "paragraph",
            "value": (
                '<p class="lead">学习<a href="https://example.org/x">外部链接</a>文字</p>'
                f'<embed embedtype="image" id="{image.pk}" format="fullwidth" alt="嵌入图"/>'
            ),
        },
        {"type": "image", "value": {"image": image.pk, "caption": "图注"}},
        {"type": "quote", "value": {"text": "不忘初心", "attribution": "出处"}},
    ]
    page = factories.article(title="学习贯彻会议精神", cover=factories.image("封面"), **fields)
    page.body = body
    page.save_revision().publish()
    return page


def send(page, mode="publish", capture=None, **kw) -> WeChatSend:
    with capture(execute=True):
        record = publish_to_wechat(page, mode, **kw)
    record.refresh_from_db()
    return record


def test_an_article_is_converted_uploaded_and_published(
    account_on_fake, home, django_capture_on_commit_callbacks
):
    fake = account_on_fake
    page = rich_article(home)
    record = send(page, capture=django_capture_on_commit_callbacks)
    assert record.status == Status.SUBMITTED, record.message
    assert record.publish_id in fake.state.publishes
    article = fake.state.published_articles[record.publish_id][0]
    content = article["content"]
    assert content.count("http://mmbiz.qpic.cn/") == 2  # embedded and block image
    assert "/media/" not in content and "class=" not in content
    assert "外部链接" in content and "example.org" not in content
    assert "<blockquote" in content and "不忘初心" in content
    assert article["content_source_url"] == ""
    assert fake.state.material[article["thumb_media_id"]]["type"] == "image"
    assert article["title"] == "学习贯彻会议精神"


def test_the_publish_job_finish_event_completes_the_send(
    account_on_fake, home, django_capture_on_commit_callbacks
):
    record = send(rich_article(home), capture=django_capture_on_commit_callbacks)
    event = PublishJobFinishEvent(
        to_user="gh_x",
        from_user="mphelper",
        create_time=1,
        msg_type="event",
        event="PUBLISHJOBFINISH",
        publish_id=record.publish_id,
        publish_status=0,
        article_id="A1",
        articles=(PublishedArticle(idx=1, url="https://mp.weixin.qq.com/s/abc"),),
    )
    on_publish_job_finished(event)
    record.refresh_from_db()
    assert record.status == Status.SUCCEEDED
    assert record.article_url == "https://mp.weixin.qq.com/s/abc"


def test_a_repost_carries_the_original_link(
    account_on_fake, home, django_capture_on_commit_callbacks
):
    page = factories.repost(title="转载：重要讲话", cover=factories.image("封面"))
    record = send(page, capture=django_capture_on_commit_callbacks)
    article = account_on_fake.state.published_articles[record.publish_id][0]
    assert article["content_source_url"] == "https://example.org/original"
    assert "来源：新华网" in article["content"]


def test_images_are_uploaded_once_across_publishes(
    account_on_fake, home, django_capture_on_commit_callbacks
):
    page = rich_article(home)
    send(page, capture=django_capture_on_commit_callbacks)
    uploads = account_on_fake.count("/cgi-bin/media/uploadimg")
    assert uploads == 2  # the embedded image's rendition and the image block's
    send(page, capture=django_capture_on_commit_callbacks)
    assert account_on_fake.count("/cgi-bin/media/uploadimg") == uploads
    assert account_on_fake.count("/cgi-bin/material/add_material") == 1
    assert UploadedMedia.objects.count() == 3


def test_preview_then_mass_send_by_tag(account_on_fake, home, django_capture_on_commit_callbacks):
    fake = account_on_fake
    fake.state.tags[100] = "党员"
    fake.state.add_user("o-editor")
    fake.state.add_user("o-member", tag_ids=[100])
    record = send(
        rich_article(home),
        "mass",
        capture=django_capture_on_commit_callbacks,
        tag_id=100,
        tag_name="党员",
        preview_openids=["o-editor"],
    )
    assert record.status == Status.SUBMITTED, record.message
    assert [p["touser"] for p in fake.state.previews] == ["o-editor"]
    assert len(fake.state.mass_sends) == 1
    assert fake.state.mass_sends[0]["recipients"] == ["o-member"]
    assert fake.state.mass_sends[0]["clientmsgid"] == record.clientmsgid
    on_mass_send_finished(
        MassSendJobFinishEvent(
            to_user="gh_x",
            from_user="mphelper",
            create_time=1,
            msg_type="event",
            event="MASSSENDJOBFINISH",
            status="send success",
            job_id=record.msg_id,
            total_count=1,
            filter_count=1,
            sent_count=1,
            error_count=0,
        )
    )
    record.refresh_from_db()
    assert record.status == Status.SUCCEEDED and record.sent_count == 1


def test_a_retried_mass_send_never_sends_twice(
    account_on_fake, home, django_capture_on_commit_callbacks
):
    fake = account_on_fake
    fake.state.tags[100] = "党员"
    fake.state.add_user("o-member", tag_ids=[100])
    record = send(
        rich_article(home), "mass", capture=django_capture_on_commit_callbacks, tag_id=100
    )
    first_msg_id = record.msg_id
    run_send.enqueue(record.pk)  # a plain retry of the finished task
    # A worker that crashed after WeChat accepted the send but before we stored the answer:
    WeChatSend.objects.filter(pk=record.pk).update(status=Status.RUNNING, msg_id="")
    run_send.enqueue(record.pk)
    record.refresh_from_db()
    assert len(fake.state.mass_sends) == 1
    assert fake.count("/cgi-bin/message/mass/sendall") == 2
    assert record.status == Status.SUBMITTED and record.msg_id == first_msg_id


def test_a_wechat_refusal_is_logged_with_its_code_and_a_chinese_message(
    account_on_fake, home, django_capture_on_commit_callbacks
):
    account_on_fake.fail_next("/cgi-bin/draft/add", 48001)
    record = send(rich_article(home), capture=django_capture_on_commit_callbacks)
    assert record.status == Status.FAILED
    assert record.errcode == 48001
    assert "没有该接口的权限" in record.message


def test_a_page_without_any_image_is_refused_with_a_reason(
    account_on_fake, home, django_capture_on_commit_callbacks
):
    record = send(factories.article(title="无图"), capture=django_capture_on_commit_callbacks)
    assert record.status == Status.FAILED
    assert "封面" in record.message


def test_only_live_pages_can_be_sent(account_on_fake, home):
    draft = factories.article(title="草稿", publish=False)
    with pytest.raises(ValueError, match="已发布"):
        publish_to_wechat(draft, "publish")


def test_an_infographic_sends_its_long_images_and_text_version(
    account_on_fake, home, django_capture_on_commit_callbacks
):
    column = factories.column()
    page = column.add_child(
        instance=InfographicPage(
            title="一图读懂",
            images=[{"type": "image", "value": {"image": factories.image("长图").pk}}],
            text_version="<p>要点一</p>",
        )
    )
    page.save_revision().publish()
    record = send(page, capture=django_capture_on_commit_callbacks)
    assert record.status == Status.SUBMITTED, record.message
    content = account_on_fake.state.published_articles[record.publish_id][0]["content"]
    assert "http://mmbiz.qpic.cn/" in content and "要点一" in content
