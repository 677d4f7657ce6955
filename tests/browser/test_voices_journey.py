"""A member on a phone: writes a comment under an article, sees it as theirs until 精选,
then everyone sees it under the article; and sends a submission with pictures and follows
its status."""

import io

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from PIL import Image as PILImage
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from tests.test_audience_support import member, tree
from weizhi.audience import identity
from weizhi.content.site_setup import ensure_site
from weizhi.moderation import services as moderation
from weizhi.screen import services as screen
from weizhi.voices.models import Comment, Submission

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _fresh_automaton():
    screen.forget()
    yield
    screen.forget()


def sign_in(phone, live_server, someone) -> None:
    session = SessionStore()
    session[identity.SESSION_MEMBER_KEY] = someone.pk
    session[identity.SESSION_MEMBER_HASH] = identity._password_digest(someone)
    session.save()
    phone.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.session_key,
                "url": live_server.url,
            }
        ]
    )


def test_a_member_comments_on_a_phone_and_it_shows_once_selected(live_server, plain_phone):
    ensure_site()
    article = factories.article(title="学习二十大精神", body="全面建设社会主义现代化国家。")
    wang = member(tree()["first"], "1001", name="王芳")
    sign_in(plain_phone, live_server, wang)

    plain_phone.goto(live_server.url + article.url)
    plain_phone.get_by_role("link", name="查看全部留言 / 写留言").click()
    plain_phone.get_by_label("写留言（王芳）").fill("认真学习，<b>受益匪浅</b> https://example.org")
    plain_phone.get_by_role("button", name="提交留言").click()
    expect(plain_phone.locator(".notice")).to_contain_text("精选后对所有人可见")
    mine = plain_phone.locator(".comment").first
    assert "待精选，仅自己可见" in mine.inner_text()
    assert "<b>受益匪浅</b>" in mine.locator(".comment-text").inner_text()
    assert mine.locator("a").count() == 0  # the address is not a link
    screenshot(plain_phone, "voices-comment-pending")

    moderation.approve(Comment.objects.get().item, None)
    plain_phone.goto(live_server.url + article.url)
    listed = plain_phone.locator("[data-comment-list] .comment")
    listed.first.wait_for()
    assert "认真学习" in listed.first.inner_text()
    listed.first.get_by_role("button", name="给这条留言点赞").click()
    plain_phone.wait_for_url("**/comments/#c*")
    assert plain_phone.locator(".comment-like b").first.inner_text() == "1"
    width = plain_phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the comments page scrolls sideways on a phone"
    screenshot(plain_phone, "voices-comment-approved")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (120, 80), (183, 28, 28)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_member_submits_with_pictures_on_a_phone_and_follows_its_status(live_server, plain_phone):
    ensure_site()
    wang = member(tree()["first"], "1001", name="王芳")
    sign_in(plain_phone, live_server, wang)
    plain_phone.goto(live_server.url + "/voices/submit/")
    plain_phone.get_by_label("投稿栏目").select_option(label="职工原创")
    plain_phone.get_by_label("标题").fill("厂区的春天")
    plain_phone.get_by_label("正文").fill("清晨的厂区，玉兰开了。")
    plain_phone.get_by_label("图片（可选，最多 9 张）").set_input_files(
        [
            {"name": "a.png", "mimeType": "image/png", "buffer": png_bytes()},
            {"name": "b.png", "mimeType": "image/png", "buffer": png_bytes()},
        ]
    )
    screenshot(plain_phone, "voices-submit-form")
    plain_phone.get_by_role("button", name="提交投稿").click()
    plain_phone.wait_for_url("**/voices/submissions/")
    assert plain_phone.locator(".submission-status").inner_text() == "待编辑审核"
    submission = Submission.objects.get()
    assert submission.images.count() == 2

    moderation.approve(submission.item, None, "写得真切，已采用")
    plain_phone.reload()
    assert plain_phone.locator(".submission-status").inner_text() == "已采用，正在三审三校"
    assert "写得真切，已采用" in plain_phone.locator(".submission-note").inner_text()
    screenshot(plain_phone, "voices-my-submissions")
