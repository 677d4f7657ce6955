"""Every change of a study note's state goes through here. A note and its queue item are
one write: the photos are processed before the transaction (so a refused photo stores
nothing) and the stored files are deleted again if the write fails after them.

Approving a note awards points (``note_approved``, once per note); the moderation queue's
hook runs inside the decision's transaction, so the award and the decision stand together.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass

from django.core.files.images import ImageFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from wagtail.images import get_image_model

from weizhi.analytics import events
from weizhi.content.models import ArticlePage, ColumnPage
from weizhi.moderation import services as moderation
from weizhi.moderation.models import Action, Item, Kind, State
from weizhi.points import services as points

from . import images
from .models import (
    MAX_IMAGES,
    REFLECTION_MAX_CHARS,
    REFLECTION_MIN_CHARS,
    Note,
    NoteImage,
    NoteLike,
)

log = logging.getLogger(__name__)

POINTS_ACTION = "note_approved"
ARTICLE_TITLE_MAX_CHARS = 60
ARTICLE_MAX_NOTES = 20


class NoteError(ValueError):
    """The note (or the change) cannot be made; the message is for the user."""


def _check_text(reflection: str) -> str:
    reflection = reflection.strip()
    if len(reflection) < REFLECTION_MIN_CHARS:
        raise NoteError(f"请写下您的学习感悟（至少 {REFLECTION_MIN_CHARS} 字）。")
    if len(reflection) > REFLECTION_MAX_CHARS:
        raise NoteError(
            f"感悟最多 {REFLECTION_MAX_CHARS} 字，现在是 {len(reflection)} 字，请精简后再提交。"
        )
    return reflection


def submit(member, reflection: str, uploads: list) -> Note:
    """A new note waiting in the moderation queue; nothing is stored if anything is refused."""
    reflection = _check_text(reflection)
    if not uploads:
        raise NoteError("请至少上传 1 张笔记照片。")
    if len(uploads) > MAX_IMAGES:
        raise NoteError(f"最多上传 {MAX_IMAGES} 张照片，您选了 {len(uploads)} 张。")
    try:
        for upload in uploads:
            images.check(upload)
        # Decoded, turned and shrunk before the transaction opens: on SQLite the write lock is
        # the whole site's, and nine photos take seconds. The copies are small (≤ 2000 px JPEG).
        processed = [images.process(upload) for upload in uploads]
    except images.ImageRefused as error:
        raise NoteError(str(error)) from error
    stored: list[NoteImage] = []
    try:
        with transaction.atomic():
            item = moderation.enqueue(Kind.NOTE, text=reflection, title="学习笔记", member=member)
            note = Note.objects.create(
                item=item, member=member, branch_id=member.branch_id, reflection=reflection
            )
            for position, copy in enumerate(processed):
                picture = NoteImage(note=note, position=position)
                picture.file.save(copy.content.name, copy.content, save=False)
                stored.append(picture)
                picture.save()
            events.record("note", member=member, key=f"note:{note.pk}")
    except BaseException as error:
        for picture in stored:
            picture.file.delete(save=False)
        if isinstance(error, images.ImageRefused):
            raise NoteError(str(error)) from error
        raise
    log.info("note %s by member=%s images=%d", note.pk, member.pk, len(uploads))
    return note


def on_note_decision(item: Item, action: str) -> None:
    """The queue's hook: approving a note earns its writer points, once."""
    if action != Action.APPROVED:
        return
    note = Note.objects.select_related("member").filter(item=item).first()
    if note is not None:
        points.award(note.member, POINTS_ACTION, f"note:{note.pk}")


def admin_link(item: Item) -> str | None:
    if item.kind != Kind.NOTE:
        return None
    note = Note.objects.filter(item=item).values_list("pk", flat=True).first()
    return reverse("notes_admin") + f"#n{note}" if note else None


@dataclass(frozen=True)
class Status:
    label: str
    reason: str = ""
    featured: bool = False


def status_of(note: Note) -> Status:
    """What the member reads about their note."""
    item = note.item
    if item.state == State.PENDING:
        return Status("待审")
    if item.state == State.REJECTED:
        return Status("退回", item.reason)
    return Status("精选" if item.featured else "通过", item.reason, item.featured)


def like(note: Note, liker: str) -> bool:
    """One like per member, follower or browser; False when this one had liked already."""
    if note.item.state != State.APPROVED:
        raise NoteError("这篇笔记还不能点赞。")
    try:
        with transaction.atomic():
            NoteLike.objects.create(note=note, liker=liker[:40])
            Note.objects.filter(pk=note.pk).update(likes=F("likes") + 1)
    except IntegrityError:
        return False
    return True


def _body(notes: list[Note], introduction: str) -> list[dict]:
    blocks = []
    if introduction.strip():
        blocks.append({"type": "paragraph", "value": f"<p>{html.escape(introduction.strip())}</p>"})
    Image = get_image_model()
    for note in notes:
        credit = f"{note.member.name}" + (f"（{note.branch.name}）" if note.branch else "")
        blocks.append({"type": "paragraph", "value": f"<p><b>{html.escape(credit)}</b></p>"})
        for picture in note.images.all():
            with picture.file.open("rb") as handle:
                image = Image.objects.create(
                    title=f"{credit}的学习笔记"[:255],
                    file=ImageFile(handle, name=picture.file.name.rsplit("/", 1)[-1]),
                )
            blocks.append(
                {"type": "image", "value": {"image": image.pk, "caption": f"{credit}手写笔记"}}
            )
        for paragraph in note.reflection.split("\n"):
            if paragraph.strip():
                blocks.append(
                    {"type": "paragraph", "value": f"<p>{html.escape(paragraph.strip())}</p>"}
                )
    return blocks


def make_article(notes: list[Note], column: ColumnPage, title: str, user, introduction: str = ""):
    """A draft article in ``column`` from approved notes: each writer credited by name, their
    photos and reflection in order; the draft goes to the column's review like any other."""
    title = title.strip()
    if not title:
        raise NoteError("请填写文章标题。")
    if len(title) > ARTICLE_TITLE_MAX_CHARS:
        raise NoteError(f"标题最多 {ARTICLE_TITLE_MAX_CHARS} 字。")
    if not notes:
        raise NoteError("请至少选择一篇已通过的笔记。")
    if len(notes) > ARTICLE_MAX_NOTES:
        raise NoteError(f"一篇文章最多编入 {ARTICLE_MAX_NOTES} 篇笔记。")
    if any(n.item.state != State.APPROVED for n in notes):
        raise NoteError("只能编入已通过审核的笔记。")
    names = "、".join(dict.fromkeys(n.member.name for n in notes))
    with transaction.atomic():
        page = column.specific.add_child(
            instance=ArticlePage(
                title=title,
                author=names[:50],
                summary=(introduction.strip() or f"党员{names}的手写学习笔记与感悟。")[:100],
                body=_body(notes, introduction),
                live=False,
                owner=None,
            )
        )
        page.save_revision(user=user)
        Note.objects.filter(pk__in=[n.pk for n in notes]).update(article=page)
    workflow = page.get_workflow()
    if workflow is not None:
        workflow.start(page, user)
    log.info("notes %s made into draft page=%s", [n.pk for n in notes], page.pk)
    return page
