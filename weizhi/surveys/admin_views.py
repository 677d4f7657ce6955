"""Admin pages beside the builder: results with charts, cross-tabulation and filters, the
.xlsx export, a printable summary, and the survey's link and QR code. Every count comes from
results.visible_responses, the one rule of who sees which responses."""

from __future__ import annotations

import logging

import segno
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from weizhi.audience.models import PoliticalStatus
from weizhi.audience.scope import visible_branches
from weizhi.core.xlsx import XlsxWriter

from . import checkin, logic, results, services
from .meetings import attendance_members, visible_meetings
from .models import Meeting, Survey

log = logging.getLogger(__name__)
RESULTS = "surveys.view_results"


def _filters(request: HttpRequest, items: list[logic.Item]) -> dict[str, str]:
    codes = {i.code for i in items}
    filters = {}
    for raw in request.GET.getlist("f"):
        code, _, key = raw.partition(":")
        if code in codes and key:
            filters[code] = key
    for name in ("branch", "status"):
        if request.GET.get(name):
            filters[name] = request.GET[name][:20]
    return filters


def _data(request: HttpRequest, survey: Survey):
    items = survey.items()
    filters = _filters(request, items)
    responses = results.visible_responses(request.user, survey)
    data = [r for r in results.rows(responses) if results.matches(r, filters)]
    return items, filters, responses, data


@permission_required(RESULTS, raise_exception=True)
def results_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    items, filters, _responses, data = _data(request, survey)
    choice_items = [i for i in items if i.kind in logic.CHOICE_KINDS]
    by, of = request.GET.get("by", ""), request.GET.get("of", "")
    table = results.crosstab(items, data, of, by) if by and of else None
    context = {
        "survey": survey,
        "summaries": results.summaries(items, data),
        "count": len(data),
        "filters": filters,
        "choice_items": choice_items,
        "branches": [] if survey.anonymous else visible_branches(request.user),
        "statuses": PoliticalStatus.choices,
        "crosstab": table,
        "by": by,
        "of": of,
        "query": request.GET.urlencode(),
        "scoped": not results.sees_all(request.user),
    }
    return TemplateResponse(request, "surveys/admin/results.html", context)


@permission_required(RESULTS, raise_exception=True)
def export_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    _items, filters, responses, _rows = _data(request, survey)
    if filters:
        rows = responses.values_list("pk", "answers", "branch_id", "status")
        ids = [pk for pk, *rest in rows if results.matches(results.Row(*rest), filters)]
        responses = responses.filter(pk__in=ids)
    writer = XlsxWriter()
    append = writer.sheet("答卷")
    for row in results.export_rows(survey, responses):
        append(row)
    log.info("survey export survey=%s user=%s", survey.pk, request.user.pk)
    response = HttpResponse(
        writer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.pk}-{stamp}.xlsx"'
    return response


@permission_required(RESULTS, raise_exception=True)
def print_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    items, _filters, _responses, data = _data(request, survey)
    context = {
        "survey": survey,
        "summaries": results.summaries(items, data),
        "count": len(data),
        "printed_at": timezone.localtime(),
    }
    return TemplateResponse(request, "surveys/admin/print.html", context)


@permission_required("surveys.view_survey", raise_exception=True)
def share_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    url = request.build_absolute_uri(reverse("surveys:answer", args=[survey.pk]))
    qr = segno.make(url, error="m").svg_inline(scale=6, title=f"{survey.title}的二维码")
    context = {"survey": survey, "url": url, "qr": mark_safe(qr)}  # noqa: S308 (segno's own SVG)
    return TemplateResponse(request, "surveys/admin/share.html", context)


@require_POST
@permission_required("surveys.add_survey", raise_exception=True)
def copy_view(request: HttpRequest, pk: int) -> HttpResponse:
    survey = get_object_or_404(Survey, pk=pk)
    copy = services.copy_survey(survey)
    return redirect("survey_admin:edit", copy.pk)


HOST = "surveys.change_meeting"


def _attendance(request: HttpRequest, meeting: Meeting) -> dict:
    """Who checked in and who of the expected branches has not, within the user's scope."""
    seen = attendance_members(request.user)
    checked = meeting.checkins.filter(member__in=seen).select_related("member__branch")
    absent = checkin.missing(meeting).filter(pk__in=seen.values("pk")).select_related("branch")
    return {
        "checked": [
            {
                "name": c.member.name,
                "branch": c.member.branch.name,
                "at": timezone.localtime(c.at).strftime("%H:%M:%S"),
            }
            for c in checked
        ],
        "missing": [{"name": m.name, "branch": m.branch.name} for m in absent],
    }


def _qr(request: HttpRequest, meeting: Meeting) -> str:
    url = request.build_absolute_uri(
        reverse("surveys:check_in", args=[meeting.pk, checkin.code(meeting)])
    )
    return segno.make(url, error="m").svg_inline(scale=8, title="签到二维码")


@permission_required(HOST, raise_exception=True)
def host_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(visible_meetings(request.user), pk=pk)
    context = {
        "meeting": meeting,
        "qr": mark_safe(_qr(request, meeting)),  # noqa: S308 (segno's own SVG)
        "window": checkin.WINDOW,
        **_attendance(request, meeting),
    }
    return TemplateResponse(request, "surveys/admin/host.html", context)


@permission_required(HOST, raise_exception=True)
def live_view(request: HttpRequest, pk: int) -> JsonResponse:
    """What the host's screen polls: the current code and the lists."""
    meeting = get_object_or_404(visible_meetings(request.user), pk=pk)
    return JsonResponse({"qr": _qr(request, meeting), **_attendance(request, meeting)})


@permission_required(HOST, raise_exception=True)
def meeting_export_view(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(visible_meetings(request.user), pk=pk)
    data = _attendance(request, meeting)
    writer = XlsxWriter()
    append = writer.sheet("已签到", widths=(12, 24, 12))
    append(["姓名", "所属组织", "签到时间"])
    for row in data["checked"]:
        append([row["name"], row["branch"], row["at"]])
    append = writer.sheet("未签到", widths=(12, 24))
    append(["姓名", "所属组织"])
    for row in data["missing"]:
        append([row["name"], row["branch"]])
    log.info("meeting export meeting=%s user=%s", meeting.pk, request.user.pk)
    response = HttpResponse(
        writer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.xlsx"'
    return response
