"""The phone pages: answer a survey page by page, and the thank-you page with results.

Thin views: who is answering comes from audience.identity, the rules from logic, the writes
from services. Every page is a plain form (no script needed), saved as a draft when sent.
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from PIL import Image, UnidentifiedImageError

from weizhi.audience import identity
from weizhi.audience.views import login_url
from weizhi.core.clientaddress import client_address
from weizhi.core.ratelimit import hit
from weizhi.core.uploads import SizeLimitUploadHandler

from . import checkin, logic, results, services
from .models import Meeting, Survey

log = logging.getLogger(__name__)
SESSION_BROWSER = "surveys.browser"
PAGE_LIMIT, PAGE_WINDOW = 60, 60  # page submissions per person (and per address) a minute
IMAGE_MAX_BYTES = 5 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


def respondent(request: HttpRequest) -> services.Respondent:
    member = identity.current_member(request)
    follower = identity.current_follower(request)
    if member is not None:
        return services.Respondent(f"m:{member.pk}", member, follower)
    if follower is not None:
        return services.Respondent(f"f:{follower.pk}", None, follower)
    browser = request.session.get(SESSION_BROWSER)
    if browser is None:
        browser = request.session[SESSION_BROWSER] = secrets.token_hex(16)
    return services.Respondent(f"b:{browser}")


def _closed(request: HttpRequest, survey: Survey, message: str, status: int = 200) -> HttpResponse:
    return render(
        request, "surveys/closed.html", {"survey": survey, "message": message}, status=status
    )


# CSRF is checked inside, after the upload limit is in place (see audience.admin_views).
@csrf_exempt
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        request.upload_handlers.insert(0, SizeLimitUploadHandler(request, IMAGE_MAX_BYTES))
    return _answer(request, pk)


@csrf_protect
def _answer(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk, is_template=False)
    person = respondent(request)
    reason = services.refusal(survey, person)
    if reason and "请先登录" in reason:
        return HttpResponseRedirect(login_url(request.get_full_path()))
    if reason:
        return _closed(request, survey, reason)
    if services.has_answered(survey, person):
        return redirect("surveys:done", pk=survey.pk)
    draft = services.load_draft(survey, person)
    items = survey.items()
    page = _page_asked(request, draft)
    if request.method != "POST":
        return _render_page(request, survey, items, draft, page)
    allowed = hit("survey-page", person.key, PAGE_LIMIT, PAGE_WINDOW) and hit(
        "survey-page-ip", client_address(request), PAGE_LIMIT * 10, PAGE_WINDOW
    )
    if not allowed:
        return _closed(request, survey, "提交太频繁，请稍后再试。", status=429)
    if getattr(request, "upload_too_large", False):
        return _closed(request, survey, "上传的图片太大（最大 5 MB），请换一张。", status=400)
    offered = services.offered(survey, items)
    try:
        data = _form_data(request, survey, items, page, draft)
        got, errors = logic.read_page(items, page, draft.answers, data, offered)
    except logic.Refused as e:
        log.warning("survey page refused survey=%s page=%s: %s", survey.pk, page, e)
        return _closed(request, survey, str(e), status=400)
    if errors:
        merged = {**_other_pages(items, page, draft.answers), **got}
        return _render_page(request, survey, items, draft, page, merged, errors, status=400)
    following = services.save_page(survey, person, draft, got, page)
    if following is not None:
        return redirect(f"{reverse('surveys:answer', args=[survey.pk])}?p={following + 1}")
    try:
        services.submit(survey, person, draft)
    except services.Incomplete as e:
        return _closed(request, survey, str(e), status=400)
    except services.AlreadyAnswered:
        return redirect("surveys:done", pk=survey.pk)
    except services.SurveyError as e:
        return _closed(request, survey, str(e), status=409)
    return redirect("surveys:done", pk=survey.pk)


def _other_pages(items: list[logic.Item], page: int, answers: dict) -> dict:
    codes = {i.code for i in items if i.page == page}
    return {k: v for k, v in answers.items() if k.split(":")[0] not in codes}


def _page_asked(request: HttpRequest, draft) -> int:
    """The page in ?p= (1-based) if the respondent has reached it, else where they stopped."""
    raw = request.GET.get("p", "")
    if raw.isdigit() and (int(raw) - 1 in draft.visited or int(raw) - 1 == draft.page):
        return int(raw) - 1
    return draft.page


def _form_data(request, survey, items, page, draft) -> dict[str, list[str]]:
    data = {k: request.POST.getlist(k) for k in request.POST if k.startswith("Q")}
    for item in logic.on_page(items, page, draft.answers):
        if item.kind != logic.FILE:
            continue
        data.pop(item.code, None)  # a file answer is only ever what was uploaded here
        upload = request.FILES.get(item.code)
        if upload is not None:
            data[item.code] = [_store_image(survey, upload)]
        elif draft.answers.get(item.code):
            data[item.code] = [draft.answers[item.code]]
    return data


def _store_image(survey: Survey, upload) -> str:
    if upload.size > IMAGE_MAX_BYTES:
        raise logic.Refused("上传的图片太大（最大 5 MB），请换一张。")
    try:
        with Image.open(upload) as image:
            image.verify()
            kind = image.format
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise logic.Refused("上传的文件不是图片，请上传 JPG 或 PNG 图片。") from None
    if kind not in IMAGE_FORMATS:
        raise logic.Refused("只能上传 JPG、PNG、WEBP 或 GIF 图片。")
    upload.seek(0)
    name = f"surveys/{survey.pk}/{uuid.uuid4().hex}.{IMAGE_FORMATS[kind]}"
    return default_storage.save(name, upload)


def _render_page(
    request, survey, items, draft, page, answers=None, errors=None, status=200
) -> HttpResponse:
    answers = draft.answers if answers is None else answers
    errors = errors or {}
    offered = services.offered(survey, items)
    others = _other_pages(items, page, answers)
    fields = []
    for item in logic.candidates(items, page, others):
        f = _field(item, answers, offered.get(item.code, set()), draft.token, errors.get(item.code))
        if logic.live(item, items):
            # Shown or hidden on the phone as the answers above change; without a script the
            # page is sent and comes back with the questions the answers call for.
            f["show_if"] = json.dumps(logic.client_condition(item, items, others))
            f["hidden"] = not logic.visible(item, answers)
        fields.append(f)
    pages = logic.page_count(items)
    previous = [p for p in draft.visited if p < page]
    context = {
        "survey": survey,
        "fields": fields,
        "page": page + 1,
        "pages": pages,
        "previous": previous[-1] + 1 if previous else None,
        "last": logic.next_page(items, page, answers) is None,
        "has_errors": bool(errors),
        "media_url": settings.MEDIA_URL,
    }
    return render(request, "surveys/answer.html", context, status=status)


def _field(item: logic.Item, answers: dict, offered: set, seed: str, error: str | None) -> dict:
    value: Any = answers.get(item.code)
    options = [
        {
            "key": o.key,
            "label": o.label,
            "other": o.other,
            "full": o.key not in offered,
            "checked": logic._chosen(value, o.key),
            "rank": str(value.index(o.key) + 1)
            if isinstance(value, list) and o.key in value
            else "",
        }
        for o in logic.shuffled(item, seed)
    ]
    rows = [
        {"name": f"{item.code}.{n}", "label": label, "value": (value or {}).get(str(n), "")}
        for n, label in enumerate(item.rows)
    ]
    scale = (
        [{"value": n, "checked": value == n} for n in item.scale()]
        if item.kind in (logic.RATING, logic.NPS)
        else []
    )
    return {
        "item": item,
        "value": "" if value is None else value,
        "other_text": answers.get(f"{item.code}:other", ""),
        "options": options,
        "rows": rows,
        "scale": scale,
        "ranks": range(1, len(item.options) + 1),
        "error": error,
        "limit": item.text_limit(),
    }


def done(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk, is_template=False)
    person = respondent(request)
    if not services.has_answered(survey, person):
        return redirect("surveys:answer", pk=survey.pk)
    context: dict[str, Any] = {"survey": survey}
    if survey.kind == Survey.Kind.SIGNUP and person.member is not None:
        signup = survey.responses.filter(member=person.member, cancelled_at__isnull=True).first()
        context["signup"] = signup
        context["can_cancel"] = signup is not None and survey.is_open()
    if survey.results_public:
        responses = survey.responses.filter(cancelled_at__isnull=True)
        data = results.rows(responses)
        context["summaries"] = results.summaries(survey.items(), data)
        context["count"] = len(data)
    return render(request, "surveys/done.html", context)


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk, kind=Survey.Kind.SIGNUP)
    member = identity.current_member(request)
    if member is None:
        return HttpResponseRedirect(login_url(reverse("surveys:done", args=[pk])))
    try:
        services.cancel_signup(survey, member)
    except services.SurveyError as e:
        return _closed(request, survey, str(e), status=409)
    return _closed(request, survey, "已取消报名。")


def check_in(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """The page a member's phone opens from the meeting's QR code; one tap checks them in."""
    meeting = get_object_or_404(Meeting, pk=pk)
    member = identity.current_member(request)
    if member is None:
        return HttpResponseRedirect(login_url(request.get_full_path()))
    context: dict[str, Any] = {"meeting": meeting, "member": member}
    if meeting.checkins.filter(member=member).exists():
        context["message"] = "您已经签到过了。"
        context["done"] = True
        return render(request, "surveys/checkin.html", context)
    if request.method != "POST":
        try:
            checkin.check_code(meeting, code)
        except checkin.CheckInError as e:
            context["message"] = str(e)
            return render(request, "surveys/checkin.html", context, status=400)
        return render(request, "surveys/checkin.html", context)
    if not hit("survey-checkin", str(member.pk), 20, 60):
        context["message"] = "操作太频繁，请稍后再试。"
        return render(request, "surveys/checkin.html", context, status=429)
    try:
        checkin.check_in(meeting, member, code)
    except checkin.CheckInError as e:
        log.info("check-in refused meeting=%s member=%s: %s", meeting.pk, member.pk, e)
        context["message"] = str(e)
        return render(request, "surveys/checkin.html", context, status=400)
    context["message"] = "签到成功！"
    context["done"] = True
    return render(request, "surveys/checkin.html", context)
