"""The read_article award: a signed-in member who stays on an article for the rule's minimum
time earns it, once per article per day.

Article pages are served from cache and carry no CSRF token, so the page's script reports
twice: ``start`` when the article opens (the server notes the time in the member's session)
and ``done`` once the minimum time has passed; the server awards only if its own clock agrees
the time has passed. Both are same-origin POSTs, a member's rate limited per address.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from weizhi.audience import identity
from weizhi.content.models import StoryPage
from weizhi.core.ratelimit import hit

from . import services
from .models import Rule

log = logging.getLogger(__name__)
ACTION = "read_article"
SESSION_KEY = "points.reading"
KEPT = 20  # articles whose start a session remembers
READS_PER_MINUTE = 30
SLACK_SECONDS = 1  # the page's timer and the server's clock may differ by this much


def _same_origin(request: HttpRequest) -> bool:
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin == f"{request.scheme}://{request.get_host()}"


@csrf_exempt
@require_POST
def read(request: HttpRequest, page_id: int) -> JsonResponse:
    if not _same_origin(request):
        return JsonResponse({"error": "请求来源无效，请刷新页面后再试。"}, status=403)
    member = identity.current_member(request)
    rule = Rule.objects.filter(action=ACTION, enabled=True).first()
    if member is None or rule is None:
        return JsonResponse({"award": False})  # nothing to earn: the page stops reporting
    # Counted only for members: an anonymous reader's page view costs no counter write.
    # Per member: an office behind one address shares nothing here.
    if not hit("points-read", f"m{member.pk}", READS_PER_MINUTE, 60):
        return JsonResponse({"error": "操作太频繁，请稍后再试。"}, status=429)
    if not StoryPage.objects.published().filter(pk=page_id).exists():
        return JsonResponse({"error": "稿件不存在或已下线。"}, status=404)
    started = dict(request.session.get(SESSION_KEY, {}))
    now = time.time()
    if request.POST.get("phase") != "done":
        started[str(page_id)] = now
        # The oldest starts go: a session does not grow with every article opened.
        request.session[SESSION_KEY] = dict(sorted(started.items(), key=lambda kv: kv[1])[-KEPT:])
        return JsonResponse({"award": True, "after": rule.min_seconds})
    began = started.get(str(page_id))
    if began is None or now - began < rule.min_seconds - SLACK_SECONDS:
        return JsonResponse({"error": "阅读时间还不够。"}, status=409)
    key = f"page:{page_id}:{timezone.localdate()}"
    outcome = services.award(member, ACTION, key)
    log.info("read award page=%s member=%s %s", page_id, member.pk, outcome.outcome)
    return JsonResponse({"outcome": outcome.outcome, "points": outcome.points})
