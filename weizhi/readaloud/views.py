"""The member's read-aloud pages under /readaloud/ (phone first). Thin: parse, check the
limits, call services.py, render. Recordings are served through ``listen`` only: to their
reader, to those who moderate them, and, once featured with consent, to everyone signed in."""

from __future__ import annotations

import logging
import re

from django.contrib import messages
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from weizhi.audience import identity
from weizhi.audience.models import Member
from weizhi.audience.views import login_url, member_required
from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import hit
from weizhi.core.uploads import SizeLimitUploadHandler
from weizhi.moderation.scope import visible_items
from weizhi.wechat.signin.share import share_scripts

from . import audio, conf, scoring, services, tasks
from .models import Clip, Reading, Series, WeChatRecording

log = logging.getLogger(__name__)
SERVER_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
READING_LIMITS = [("member", 10, 3600), ("member-day", 30, 86400), ("address", 60, 3600)]


@member_required
@require_GET
def home(request: HttpRequest, member: Member) -> HttpResponse:
    open_clips = Clip.objects.open_on().select_related("series")
    series: dict[Series, list[Clip]] = {}
    for clip in open_clips:
        series.setdefault(clip.series, []).append(clip)
    read = set(Reading.objects.filter(member=member).values_list("clip", flat=True))
    context = {"series": series, "read": read, "streak": services.streak(member)}
    return render(request, "readaloud/home.html", context)


@member_required
@require_GET
def clip_page(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    clip = get_object_or_404(Clip.objects.open_on(), pk=pk)
    services.open_clip(member, clip)
    context = {
        "clip": clip,
        "max_mb": conf.max_bytes() // (1024 * 1024),
        "max_seconds": conf.max_seconds(),
        "accept": ",".join(sorted(set(audio.FORMATS.values()))),
        "mine": clip.readings.filter(member=member).select_related("item")[:5],
        # Inside WeChat, where the account signs JS-SDK configs: WeChat's own recorder.
        "wx": share_scripts(request),
    }
    return render(request, "readaloud/clip.html", context)


def _within(request: HttpRequest, member: Member) -> bool:
    """Every window is counted, so a refused flood still fills all of them."""
    who = f"m{member.pk}"
    results = [
        hit(f"readaloud-{name}", client_address(request) if name == "address" else who, n, s)
        for name, n, s in READING_LIMITS
    ]
    return all(results)


def _back(request: HttpRequest, clip: Clip, message: str, status: int) -> HttpResponse:
    return render(
        request,
        "readaloud/refused.html",
        {"clip": clip, "message": message},
        status=status,
    )


@csrf_exempt
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """The size limit is enforced while the body streams in, before CSRF reads the form."""
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, conf.max_bytes()))
    return _read(request, pk)


@csrf_protect
@require_POST
@member_required
def _read(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    clip = get_object_or_404(Clip.objects.open_on(), pk=pk)
    upload = request.FILES.get("audio")  # reads the body: the size handler has its say
    if getattr(request, "upload_too_large", False):
        mb = conf.max_bytes() // (1024 * 1024)
        return _back_or_json(request, clip, f"录音文件超过 {mb} MB，请录短一些。", 400)
    if not _within(request, member):
        return _back_or_json(request, clip, "提交太频繁了，请稍后再试。", 429)
    if upload is None:
        return _back_or_json(request, clip, "请先录音或选择录音文件。", 400)
    try:
        declared = float(request.POST.get("seconds") or 0)
    except ValueError:
        declared = 0.0
    try:
        reading = services.submit(
            member,
            clip,
            upload.chunks(),
            consent=request.POST.get("consent") == "on",
            declared_seconds=declared,
        )
    except services.ReadingError as error:
        log.info("readaloud: refused for member %s: %s", member.pk, error)
        return _back_or_json(request, clip, str(error), 400)
    url = reverse("readaloud:reading", args=[reading.pk])
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"url": url})
    return redirect(url)


def _back_or_json(request: HttpRequest, clip: Clip, message: str, status: int) -> HttpResponse:
    if request.headers.get("X-Requested-With") == "fetch":
        return JsonResponse({"error": message}, status=status)
    return _back(request, clip, message, status)


def _own_reading(member: Member, pk: int) -> Reading:
    return get_object_or_404(Reading.objects.select_related("clip", "item"), pk=pk, member=member)


@member_required
def reading_page(request: HttpRequest, member: Member, pk: int) -> HttpResponse:
    reading = _own_reading(member, pk)
    if request.method == "POST":
        services.set_consent(reading, request.POST.get("consent") == "on")
        messages.success(request, "已保存展示设置。")
        return redirect("readaloud:reading", pk=reading.pk)
    context = {
        "reading": reading,
        "marked": mark_safe(scoring.diff_html(reading.diff)),  # noqa: S308 — escaped there
        "streak": services.streak(member),
    }
    return render(request, "readaloud/reading.html", context)


@member_required
@require_GET
def mine(request: HttpRequest, member: Member) -> HttpResponse:
    readings = Reading.objects.filter(member=member).select_related("clip", "item")[:100]
    context = {"readings": readings, "streak": services.streak(member)}
    return render(request, "readaloud/mine.html", context)


@member_required
@require_GET
def gallery(request: HttpRequest, member: Member) -> HttpResponse:
    readings = Reading.objects.gallery().select_related("clip", "member")[:60]
    return render(request, "readaloud/gallery.html", {"readings": readings})


@require_GET
def listen(request: HttpRequest, pk: int) -> HttpResponse:
    reading = Reading.objects.select_related("item").filter(pk=pk).exclude(audio="").first()
    if reading is None:
        raise Http404
    member = identity.current_member(request)
    allowed = (
        (member is not None and reading.member_id == member.pk)
        or (member is not None and Reading.objects.gallery().filter(pk=pk).exists())
        or (
            request.user.is_authenticated
            and reading.item_id is not None
            and visible_items(request.user).filter(pk=reading.item_id).exists()
        )
    )
    if not allowed:
        if member is None and not request.user.is_authenticated:
            return redirect(login_url(request.get_full_path()))
        raise Http404
    try:
        recording = reading.audio.open("rb")
    except (FileNotFoundError, ValueError):  # pruned after READALOUD_KEEP_DAYS, or none
        raise Http404 from None
    response = FileResponse(recording, content_type=audio.FORMATS.get(reading.audio_format))
    response["Cache-Control"] = "private, no-store"
    return response


@csrf_protect
@require_POST
@member_required
def read_in_wechat(request: HttpRequest, member: Member, pk: int) -> JsonResponse:
    """The serverId of a recording made with WeChat's JS-SDK; the recording itself is fetched
    from WeChat in a task, and the page asks ``wechat_status`` until it is stored."""
    clip = get_object_or_404(Clip.objects.open_on(), pk=pk)
    server_id = request.POST.get("server_id", "").strip()
    if not SERVER_ID.fullmatch(server_id):
        log.info("readaloud: bad serverId from member %s: %r", member.pk, server_id[:40])
        return JsonResponse({"error": "录音上传不完整，请重新录音。"}, status=400)
    if not _within(request, member):
        return JsonResponse({"error": "提交太频繁了，请稍后再试。"}, status=429)
    try:
        seconds = float(request.POST.get("seconds") or 0)
    except ValueError:
        seconds = 0.0
    try:
        recording = tasks.start_wechat_recording(
            member, clip, server_id, seconds=seconds, consent=request.POST.get("consent") == "on"
        )
    except services.ReadingError as error:
        return JsonResponse({"error": str(error)}, status=400)
    return JsonResponse({"poll": reverse("readaloud:wechat-status", args=[recording.pk])})


@member_required
@require_GET
def wechat_status(request: HttpRequest, member: Member, pk: int) -> JsonResponse:
    recording = get_object_or_404(WeChatRecording, pk=pk, member=member)
    if recording.status == WeChatRecording.Status.DONE and recording.reading_id:
        answer = {"url": reverse("readaloud:reading", args=[recording.reading_id])}
    elif recording.status == WeChatRecording.Status.FAILED:
        answer = {"error": recording.message or "录音未能记录，请重新录音。"}
    else:
        answer = {"pending": True}
    response = JsonResponse(answer)
    response["Cache-Control"] = "private, no-store"
    return response
