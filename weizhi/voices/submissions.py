"""Submissions (投稿) to 职工原创 and 微言大义: a member sends text and up to 9 images; the
editors decide in the moderation queue; accepting writes a draft article in that column,
credited to the member, and starts the column's three-step review — in the same transaction
as the decision, so there is never an accepted submission without its draft."""

from __future__ import annotations

import html
import logging

from django.conf import settings
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image as PILImage
from wagtail.images import get_image_model

from weizhi.analytics import events
from weizhi.content.models import ArticlePage, ColumnPage
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Action, Item, Kind

from .models import Submission, SubmissionImage

log = logging.getLogger(__name__)

COLUMN_SLUGS = ("yuanchuang", "weiyan")  # 职工原创, 微言大义
MAX_IMAGES = 9
TITLE_MAX_CHARS = 60
TEXT_MAX_CHARS = 10_000


class SubmissionError(ValueError):
    """The submission cannot be taken; the message is for the member."""


def open_columns():
    return ColumnPage.objects.live().filter(slug__in=COLUMN_SLUGS).order_by("path")


def check_image(upload: UploadedFile) -> None:
    name = upload.name or "图片"
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.WAGTAILIMAGES_EXTENSIONS:
        raise SubmissionError(f"“{name}”不是支持的图片格式（jpg、png、gif、webp）。")
    limit = settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
    if upload.size > limit:
        raise SubmissionError(f"“{name}”超过 {limit // 1024 // 1024} MB。")
    try:
        with PILImage.open(upload) as image:
            width, height = image.size
            image.verify()
    except Exception as error:
        log.info("submission image refused: %s (%s)", name, error)
        raise SubmissionError(f"“{name}”无法识别为图片，请重新选择。") from error
    if width * height > settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS:
        raise SubmissionError(f"“{name}”像素太多，请缩小后再传。")
    upload.seek(0)


def submit(member, column: ColumnPage, title: str, text: str, images: list) -> Submission:
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise SubmissionError("请填写标题和正文。")
    if len(title) > TITLE_MAX_CHARS:
        raise SubmissionError(f"标题最多 {TITLE_MAX_CHARS} 字。")
    if len(text) > TEXT_MAX_CHARS:
        raise SubmissionError(f"正文最多 {TEXT_MAX_CHARS} 字，现在是 {len(text)} 字。")
    if len(images) > MAX_IMAGES:
        raise SubmissionError(f"最多上传 {MAX_IMAGES} 张图片。")
    if column.slug not in COLUMN_SLUGS:
        raise SubmissionError("这个栏目不接受投稿。")
    for upload in images:
        check_image(upload)
    with transaction.atomic():
        item = moderation.enqueue(Kind.SUBMISSION, text=text, title=title, member=member)
        submission = Submission.objects.create(
            item=item, member=member, column=column, title=title, text=text
        )
        for position, upload in enumerate(images):
            SubmissionImage.objects.create(submission=submission, file=upload, position=position)
        events.record("submission", member=member, key=f"submission:{submission.pk}")
    log.info("submission %s by member=%s images=%d", submission.pk, member.pk, len(images))
    return submission


def _body(submission: Submission) -> list[dict]:
    blocks = []
    for paragraph in submission.text.split("\n"):
        if paragraph.strip():
            blocks.append(
                {"type": "paragraph", "value": f"<p>{html.escape(paragraph.strip())}</p>"}
            )
    Image = get_image_model()
    for picture in submission.images.all():
        with picture.file.open("rb") as handle:
            image = Image.objects.create(
                title=f"{submission.title}（{submission.member.name} 投稿）"[:255],
                file=ImageFile(handle, name=picture.file.name.rsplit("/", 1)[-1]),
            )
        blocks.append({"type": "image", "value": {"image": image.pk, "caption": ""}})
    return blocks


def accept(submission: Submission, user) -> ArticlePage:
    """The draft article, credited to the member, submitted to the column's review."""
    column = submission.column.specific
    page = column.add_child(
        instance=ArticlePage(
            title=submission.title,
            author=submission.member.name,
            summary=submission.text.replace("\n", " ")[:100],
            body=_body(submission),
            live=False,
            owner=None,
        )
    )
    page.save_revision(user=user)
    workflow = page.get_workflow()
    if workflow is not None:
        workflow.start(page, user)
    Submission.objects.filter(pk=submission.pk).update(article=page)
    log.info("submission %s accepted as draft page=%s", submission.pk, page.pk)
    return page


def on_submission_decision(item: Item, action: str) -> None:
    if action != Action.APPROVED:
        return
    submission = Submission.objects.select_related("member", "column").filter(item=item).first()
    if submission is not None and submission.article_id is None:
        accept(submission, item.moderated_by)


def status_of(submission: Submission) -> str:
    """What the member reads about their submission."""
    item = submission.item
    if item.state == "pending":
        return "待编辑审核"
    if item.state == "rejected":
        return "已退回"
    article = submission.article
    if article is not None and article.live:
        return "已发表"
    return "已采用，正在三审三校"
