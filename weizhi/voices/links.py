"""Where the office manages a queue item of ours, linked from the moderation page."""

from django.urls import reverse

from .models import Comment, Submission


def comment_link(item) -> str | None:
    pk = Comment.objects.filter(item=item).values_list("pk", flat=True).first()
    return reverse("voices_comment", args=[pk]) if pk else None


def submission_link(item) -> str | None:
    page_id = Submission.objects.filter(item=item).values_list("article_id", flat=True).first()
    return reverse("wagtailadmin_pages:edit", args=[page_id]) if page_id else None
