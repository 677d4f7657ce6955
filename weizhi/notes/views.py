"""The member pages of 动笔走心: write a note, see one's own notes and their status, and the
gallery of approved notes with likes. Thin: parse, check the limits, call services, render.

The note form's uploads are kept on disk only (no in-memory handler), so a photo is never
held whole in memory, and Pillow reads it from its temporary file by blocks."""

from __future__ import annotations

import logging
import secrets

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from weizhi.audience import identity
from weizhi.audience.views import member_required
from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import hit
from weizhi.core.uploads import CappedTemporaryFileUploadHandler

from . import services
from .models import MAX_IMAGES, REFLECTION_MAX_CHARS, REFLECTION_MIN_CHARS, Note, NoteLike

log = logging.getLogger(__name__)

SUBMIT_LIMITS = [("member", 5, 3600), ("member-day", 10, 86400), ("address", 60, 3600)]
LIKE_LIMITS = [("liker", 60, 60), ("address", 300, 60)]
PER_PAGE = 12
BROWSER_COOKIE = "wz_notes_liker"


def _within(request: HttpRequest, scope: str, who: str, limits) -> bool:
    """Every window is counted, so a refused flood still fills all of them."""
    results = [
        hit(f"{scope}-{name}", client_address(request) if name == "address" else who, n, s)
        for name, n, s in limits
    ]
    return all(results)


@csrf_exempt
def submit(request: HttpRequest) -> HttpResponse:
    # Before anything reads the body: every upload goes to a temporary file.
    request.upload_handlers = [CappedTemporaryFileUploadHandler(request)]
    return _submit(request)


@csrf_protect
@member_required
@require_http_methods(["GET", "POST"])
def _submit(request: HttpRequest, member) -> HttpResponse:
    context = {
        "max_images": MAX_IMAGES,
        "min_chars": REFLECTION_MIN_CHARS,
        "max_chars": REFLECTION_MAX_CHARS,
        "reflection": "",
    }
    if request.method != "POST":
        return render(request, "notes/submit.html", context)
    context["reflection"] = request.POST.get("reflection", "")[: REFLECTION_MAX_CHARS * 2]
    if not _within(request, "note", f"m{member.pk}", SUBMIT_LIMITS):
        messages.error(request, "提交太频繁了，请稍后再试。")
        return render(request, "notes/submit.html", context, status=429)
    try:
        services.submit(member, request.POST.get("reflection", ""), request.FILES.getlist("photos"))
    except services.NoteError as error:
        messages.error(request, str(error))
        return render(request, "notes/submit.html", context, status=400)
    messages.success(request, "笔记已提交，审核通过后会出现在笔记展示里。")
    return redirect("notes:mine")


@member_required
@require_GET
def mine(request: HttpRequest, member) -> HttpResponse:
    notes = (
        Note.objects.filter(member=member).select_related("item").prefetch_related("images")[:100]
    )
    rows = [(n, services.status_of(n)) for n in notes]
    response = render(request, "notes/mine.html", {"rows": rows})
    response["Cache-Control"] = "private, no-store"
    return response


def _liker(request: HttpRequest) -> tuple[str, str | None]:
    """Who likes: the member, else the follower, else this browser (a new token to set)."""
    member = identity.current_member(request)
    if member is not None:
        return f"m{member.pk}", None
    follower = identity.current_follower(request)
    if follower is not None:
        return f"f{follower.pk}", None
    token = request.get_signed_cookie(BROWSER_COOKIE, default="", salt="notes")
    if token:
        return f"b{token}", None
    token = secrets.token_hex(12)
    return f"b{token}", token


@require_GET
def gallery(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        Note.objects.public().select_related("item", "member", "branch").prefetch_related("images"),
        PER_PAGE,
    ).get_page(request.GET.get("page"))
    liker, new_token = _liker(request)
    liked = set()
    if new_token is None:
        liked = set(
            NoteLike.objects.filter(liker=liker, note__in=[n.pk for n in page]).values_list(
                "note", flat=True
            )
        )
    response = render(request, "notes/gallery.html", {"page": page, "liked": liked})
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
def like(request: HttpRequest, pk: int) -> HttpResponse:
    note = get_object_or_404(Note.objects.select_related("item"), pk=pk)
    back = reverse("notes:gallery") + f"#n{note.pk}"
    liker, new_token = _liker(request)
    if not _within(request, "note-like", liker, LIKE_LIMITS):
        messages.error(request, "操作太频繁，请稍后再试。")
        return redirect(back)
    try:
        if not services.like(note, liker):
            messages.info(request, "您已经点过赞了。")
    except services.NoteError as error:
        messages.error(request, str(error))
    response = redirect(back)
    if new_token:
        response.set_signed_cookie(
            BROWSER_COOKIE, new_token, salt="notes", max_age=365 * 86400, httponly=True,
            samesite="Lax",
        )  # fmt: skip
    return response
