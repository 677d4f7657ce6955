import html

from django import template
from django.conf import settings
from django.utils.html import format_html_join, strip_tags
from django.utils.safestring import SafeString
from wagtail import hooks

from weizhi.content.models import StoryPage
from weizhi.core.siteurl import as_local
from weizhi.search import highlight as marks

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


@register.filter
def local(url: str) -> str:
    """An address of this site as a path, so it works on the host and port the reader used."""
    return as_local(url or "")


@register.simple_tag(takes_context=True)
def story_share_extras(context: template.Context) -> SafeString:
    """What other apps add to a story's share card (the WeChat app: its share scripts): each
    `insert_story_share_html` hook takes the request and returns HTML, escaped unless safe."""
    request = context.get("request")
    return format_html_join(
        "", "{}", ((hook(request),) for hook in hooks.get_hooks("insert_story_share_html"))
    )


@register.simple_tag(takes_context=True)
def reader_extras(context: template.Context, place: str) -> SafeString:
    """What other apps add to a reader page at a named place (`home`: the weather box;
    `column`: a column's feed items): each `insert_reader_<place>_html` hook takes the request
    and the page and returns HTML, escaped unless safe."""
    request, page = context.get("request"), context.get("page")
    return format_html_join(
        "",
        "{}",
        ((hook(request, page),) for hook in hooks.get_hooks(f"insert_reader_{place}_html")),
    )


@register.filter
def highlight(text: str, query: str) -> SafeString:
    """The text escaped, the words of the search query in it wrapped in <mark>."""
    return marks.highlight(text, query)


@register.simple_tag
def search_excerpt(story: StoryPage, query: str) -> SafeString | str:
    """Where a found story's text holds the query, when its title and summary do not."""
    if marks.spans(story.title, query) or marks.spans(story.summary, query):
        return ""
    text = " ".join(_plain_text(block.value) for block in story.body)
    return marks.excerpt(text, query) or ""


def _plain_text(value) -> str:
    if hasattr(value, "source"):  # rich text
        return html.unescape(strip_tags(value.source))  # the excerpt escapes it again
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_plain_text(item) for item in value.values())
    return ""
