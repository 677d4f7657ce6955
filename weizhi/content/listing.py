"""Lists of stories on reader pages: pages of a list, and covers loaded with the list."""

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Prefetch
from django.http import HttpRequest
from wagtail.images.models import Image

PAGE_SIZE = 10
CARD_RENDITION = "fill-240x160"


def paginate(items, request: HttpRequest, per_page: int = PAGE_SIZE):
    paginator = Paginator(items, per_page)
    try:
        return paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def with_covers(stories):
    """Load each story's cover with its card-sized rendition, in two queries for the list."""
    covers = Image.objects.prefetch_renditions(CARD_RENDITION)
    return stories.prefetch_related(Prefetch("cover", queryset=covers))
