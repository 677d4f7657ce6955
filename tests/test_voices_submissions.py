"""Submissions (投稿): a member sends text and up to 9 images to 职工原创 or 微言大义; the
editors accept or send back in the moderation queue; accepting writes a draft article
credited to the member and starts the three-step review; the member sees status and note."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.models import Page

from tests import factories
from tests.test_audience_support import fast_passwords, member, tree, user_in  # noqa: F401
from tests.test_review_workflow import act
from tests.voices_support import sign_in_member
from weizhi.content.models import ArticlePage
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Item, Kind, State
from weizhi.screen import services as screen
from weizhi.voices.models import Submission

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture(autouse=True)
def _fresh_automaton():
    screen.forget()
    yield
    screen.forget()


@pytest.fixture
def wang(home):
    return member(tree()["first"], "1001", name="王芳")


def png(name="p.png", size=(40, 30)):
    buffer = io.BytesIO()
    PILImage.new("RGB", size, (10, 120, 200)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def send(client, column_slug="yuanchuang", title="厂区的春天", text="第一段\n\n第二段", images=()):
    column = factories.column(column_slug)
    return client.post(
        reverse("voices:submit"),
        {"column": column.pk, "title": title, "text": text, "images": list(images)},
    )


def test_a_stranger_is_sent_to_sign_in(client, wang):
    response = client.get(reverse("voices:submit"))
    assert response.status_code == 302 and "/me/login/" in response.url


def test_a_member_submits_text_and_images_and_sees_it_waiting(client, wang):
    sign_in_member(client, wang)
    page = client.get(reverse("voices:submit")).content.decode()
    assert "职工原创" in page and "微言大义" in page and "今日头条" not in page
    response = send(client, images=[png("a.png"), png("b.png")])
    assert response.url == reverse("voices:my_submissions")
    submission = Submission.objects.get()
    assert submission.member == wang and submission.images.count() == 2
    assert submission.item.kind == Kind.SUBMISSION and submission.item.state == State.PENDING
    mine = client.get(reverse("voices:my_submissions")).content.decode()
    assert "厂区的春天" in mine and "待编辑审核" in mine


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": [png(f"{i}.png") for i in range(10)]}, "最多上传 9 张图片"),
        ({"images": [SimpleUploadedFile("x.png", b"not an image")]}, "无法识别为图片"),
        ({"images": [SimpleUploadedFile("x.exe", b"MZ")]}, "不是支持的图片格式"),
        ({"title": ""}, "请填写标题和正文"),
        ({"text": "字" * 10_001}, "正文最多 10000 字"),
        ({"column_slug": "toutiao"}, "请选择投稿栏目"),
    ],
)
def test_bad_submissions_are_refused_with_a_message_and_nothing_is_kept(
    client, wang, kwargs, message
):
    sign_in_member(client, wang)
    response = send(client, **kwargs)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Submission.objects.exists() and not Item.objects.exists()


def test_accepting_makes_a_credited_draft_in_review_and_the_member_sees_it(client, wang):
    sign_in_member(client, wang)
    send(client, text="第一段 <b>粗</b>\n第二段", images=[png()])
    submission = Submission.objects.get()
    editor = user_in("编辑", "editor")
    moderation.approve(submission.item, editor, "写得真切，已采用")
    submission.refresh_from_db()
    article = ArticlePage.objects.get(pk=submission.article_id)
    assert not article.live and article.author == "王芳"
    assert article.get_parent().slug == "yuanchuang"
    assert [b.block_type for b in article.body] == ["paragraph", "paragraph", "image"]
    assert "&lt;b&gt;粗&lt;/b&gt;" in str(article.body[0].value.source)
    state = article.current_workflow_task_state
    assert state is not None and state.task.name == "初审"
    mine = client.get(reverse("voices:my_submissions")).content.decode()
    assert "已采用，正在三审三校" in mine and "写得真切，已采用" in mine

    for step in ("初审", "复审", "终审"):
        reviewer = user_in(step, f"r-{step}")
        act(Page.objects.get(pk=article.pk).specific, reviewer, "approve")
    assert ArticlePage.objects.get(pk=article.pk).live
    mine = client.get(reverse("voices:my_submissions")).content.decode()
    assert "已发表" in mine


def test_sending_back_keeps_no_draft_and_shows_the_note(client, wang):
    sign_in_member(client, wang)
    send(client, column_slug="weiyan", title="短评")
    submission = Submission.objects.get()
    moderation.reject(submission.item, user_in("编辑", "editor"), "篇幅太短，请补充")
    submission.refresh_from_db()
    assert submission.article is None
    mine = client.get(reverse("voices:my_submissions")).content.decode()
    assert "已退回" in mine and "篇幅太短，请补充" in mine


def test_accepting_twice_makes_one_draft(wang):
    from weizhi.voices import submissions

    column = factories.column("yuanchuang")
    submission = submissions.submit(wang, column, "标题", "正文", [])
    editor = user_in("编辑", "editor")
    moderation.approve(submission.item, editor)
    moderation.approve(submission.item, editor)
    assert ArticlePage.objects.filter(title="标题").count() == 1


def test_a_member_sees_only_their_own_submissions(client, wang):
    sign_in_member(client, wang)
    send(client, title="王芳的稿子")
    other = member(tree_branch("第三党支部"), "3001", name="赵六")
    from django.test import Client

    theirs = Client()
    sign_in_member(theirs, other)
    assert "王芳的稿子" not in theirs.get(reverse("voices:my_submissions")).content.decode()


def tree_branch(name):
    from weizhi.audience.models import Branch

    return Branch.objects.get(name=name)


def test_submissions_are_rate_limited_per_member(client, wang):
    sign_in_member(client, wang)
    for i in range(5):
        assert send(client, title=f"第{i}篇").status_code == 302
    response = send(client, title="第六篇")
    assert response.status_code == 429 and "太频繁" in response.content.decode()
    assert Submission.objects.count() == 5


def test_my_submissions_does_not_grow_in_queries_with_the_list(
    client, wang, django_assert_max_num_queries
):
    from weizhi.voices import submissions

    column = factories.column("weiyan")
    for i in range(10):
        submissions.submit(wang, column, f"短评{i}", "正文", [])
    sign_in_member(client, wang)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("voices:my_submissions")).content.decode()
    assert "短评9" in page


def test_a_flagged_submission_is_marked_for_the_editors(wang):
    from weizhi.screen.models import Category, Lexicon, Term
    from weizhi.voices import submissions

    lexicon = Lexicon.objects.create(name="词库")
    Term.objects.create(
        lexicon=lexicon, text="代开发票", category=Category.objects.create(name="广告")
    )
    submission = submissions.submit(
        wang, factories.column("weiyan"), "随想", "有人在群里说代 开 发 票", []
    )
    assert submission.item.flagged and submission.item.screen_categories == ["广告"]
