"""Where the queue sends an editor to listen to a reading."""

from django.urls import reverse

from weizhi.moderation.models import Item


def reading_link(item: Item) -> str | None:
    reading = getattr(item, "reading", None)
    return reverse("readaloud_reading", args=[reading.pk]) if reading else None
