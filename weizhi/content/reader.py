"""The reader site (H5): search, tag pages, the like button and a story page's read counts."""

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from taggit.models import Tag

from weizhi.analytics.readers import set_reader_cookie
from weizhi.analytics.services import (
    has_liked,
    like_page,
    reader_of_request,
    record_share,
    record_visitor,
    stats_for,
)
from weizhi.content.listing import paginate, with_covers
from weizhi.content.models import StoryPage
from weizhi.core.ratelimit import rate_limited

log = logging.getLogger(__name__)

SEARCH_MAX_QUERY = 50


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    error = ""
    results = None
    if len(query) > SEARCH_MAX_QUERY:
        error = f"搜索词太长了，请不超过 {SEARCH_MAX_QUERY} 个字。"
    elif query:
        found = StoryPage.objects.published().search(query)
        results = paginate(found, request)
    return render(
        request, "content/search.html", {"query": query, "results": results, "error": error}
    )


@require_GET
def tag(request: HttpRequest, name: str) -> HttpResponse:
    """Every published story with one tag, newest first; cached like the pages it lists."""
    found = Tag.objects.filter(name=name).first()
    if found is None:
        raise Http404("没有这个标签。")
    stories = with_covers(StoryPage.objects.published().filter(tags=found).newest_first())
    response = render(
        request, "content/tag_page.html", {"tag": found, "stories": paginate(stories, request)}
    )
    response.weizhi_cacheable = True
    return response


def _same_origin(request: HttpRequest) -> bool:
    # The like endpoint is called from cached pages that carry no CSRF token, so it
    # relies on the browser's own word about where the request came from.
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin == f"{request.scheme}://{request.get_host()}"


@csrf_exempt
@require_POST
@rate_limited("like", limit=30, per_seconds=60)
def like(request: HttpRequest, page_id: int) -> JsonResponse:
    if not _same_origin(request):
        return JsonResponse({"error": "请求来源无效，请刷新页面后再试。"}, status=403)
    if not StoryPage.objects.published().filter(pk=page_id).exists():
        return JsonResponse({"error": "稿件不存在或已下线。"}, status=404)
    reader = reader_of_request(request)
    if reader.id is None:
        # Only a browser that keeps our cookie is one reader; this one gets its cookie now.
        log.info("like page=%s refused: no valid reader cookie", page_id)
        response = JsonResponse(
            {"error": "没能认出您的浏览器，请再点一次；如果仍不行，请允许浏览器为本站保存数据。"},
            status=409,
        )
    else:
        added, likes = like_page(page_id, reader.id)
        log.info("like page=%s added=%s", page_id, added)
        response = JsonResponse({"liked": True, "added": added, "likes": likes})
    if reader.cookie:
        set_reader_cookie(response, reader.cookie)
    return response


@csrf_exempt
@require_POST
@rate_limited("share", limit=20, per_seconds=60)
def share(request: HttpRequest, page_id: str) -> JsonResponse:
    """A JS-SDK share callback (wechat/share.js): one share of the page, buffered like reads.

    The id comes as text so that a malformed one is a JSON 400 here, not the HTML 404 page."""
    if not _same_origin(request):
        return JsonResponse({"error": "请求来源无效，请刷新页面后再试。"}, status=403)
    if not (page_id.isascii() and page_id.isdigit()) or len(page_id) > 12:
        log.info("share refused: bad page id %r", page_id[:40])
        return JsonResponse({"error": "稿件编号无效。"}, status=400)
    if not StoryPage.objects.published().filter(pk=int(page_id)).exists():
        log.info("share refused: page %s not published", page_id)
        return JsonResponse({"error": "稿件不存在或已下线。"}, status=404)
    record_share(int(page_id))
    return JsonResponse({"shared": True})


@require_GET
def stats(request: HttpRequest, page_id: int) -> JsonResponse:
    if not StoryPage.objects.published().filter(pk=page_id).exists():
        return JsonResponse({"error": "稿件不存在或已下线。"}, status=404)
    reader = reader_of_request(request)
    data = stats_for(page_id)
    data["liked"] = reader.id is not None and has_liked(page_id, reader.id)
    if reader.id is not None:
        record_visitor(page_id, reader.id)
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    if reader.cookie:
        set_reader_cookie(response, reader.cookie)
    return response
