from django import template
from django.conf import settings

from weizhi.content.models import StoryPage

register = template.Library()


@register.simple_tag
def story_list_items(value) -> list:
    """Stories for a topic page's list block: the hand-picked ones, else a column's latest."""
    picked = [p.pk for p in value.get("pages") or [] if p is not None]
    stories = StoryPage.objects.published().select_related("cover")
    if picked:
        by_pk = {p.pk: p for p in stories.filter(pk__in=picked)}
        return [by_pk[pk] for pk in picked if pk in by_pk]
    column = value.get("column")
    if column is None:
        return []
    return list(stories.in_column(column).newest_first()[: value.get("count") or 5])


@register.filter
def absolute(url: str) -> str:
    """A URL of ours as another site or app must see it: SITE_URL in front of a path."""
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url
