"""Study notes (动笔走心): a member's photos of hand-written notes and a reflection (感悟).
Their state lives in the shared moderation queue (weizhi.moderation.Item), linked one-to-one;
only the processed images are stored, never the uploads as sent."""

from django.db import models
from django.utils import timezone

from weizhi.moderation.models import State

REFLECTION_MIN_CHARS = 10
REFLECTION_MAX_CHARS = 1000
MAX_IMAGES = 9


class NoteQuerySet(models.QuerySet):
    def public(self):
        """The gallery: approved notes, 精选 first, newest next."""
        return self.filter(item__state=State.APPROVED).order_by(
            "-item__featured", "-created_at", "-pk"
        )


class Note(models.Model):
    item = models.OneToOneField(
        "moderation.Item", verbose_name="审核", on_delete=models.PROTECT, related_name="note"
    )
    member = models.ForeignKey(
        "audience.Member", verbose_name="党员", on_delete=models.PROTECT, related_name="+"
    )
    # The branch when the note was written: statistics count it where the member was then.
    branch = models.ForeignKey(
        "audience.Branch",
        verbose_name="党支部",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reflection = models.TextField("感悟")
    likes = models.PositiveIntegerField("点赞", default=0)
    article = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name="编入文章",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        verbose_name = "学习笔记"
        verbose_name_plural = "学习笔记"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.reflection[:20]


class NoteImage(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="images")
    file = models.ImageField(
        "图片", upload_to="notes/%Y/%m/", width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "笔记图片"
        verbose_name_plural = "笔记图片"
        ordering = ["position", "pk"]


class NoteLike(models.Model):
    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="+")
    liker = models.CharField(max_length=40)  # "m<member id>", "f<follower id>" or "b<browser>"
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "笔记点赞"
        verbose_name_plural = "笔记点赞"
        constraints = [models.UniqueConstraint(fields=["note", "liker"], name="notes_like_once")]
