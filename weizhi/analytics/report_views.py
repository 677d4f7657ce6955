"""统计报告 in the admin: the list with its form (kind, period, unit), the report page (a
document fit for printing) and its Word file. Reports are scoped like the dashboards: the
office sees every report; a 支部书记 makes and sees the reports of their own subtree."""

from __future__ import annotations

import logging
from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from weizhi.audience.models import Branch
from weizhi.audience.scope import visible_branches

from . import reports
from .admin_views import EARLIEST, draw
from .dashboards import office_wide
from .models import Report, ReportKind, ReportStatus

log = logging.getLogger(__name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LISTED = 100


class ReportForm(forms.Form):
    kind = forms.ChoiceField(label="类型", choices=ReportKind.choices, initial=ReportKind.WEEKLY)
    start = forms.DateField(
        label="开始日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="周报、月报：这一天所在的那一周（周一至周日）或那个月。",
        error_messages={"required": "请填写开始日期。", "invalid": "请输入有效的日期。"},
    )
    end = forms.DateField(
        label="结束日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="只用于自定义时段。",
        error_messages={"invalid": "请输入有效的日期。"},
    )
    unit = forms.ModelChoiceField(
        label="组织",
        queryset=Branch.objects.none(),
        required=False,
        empty_label="全部组织",
        error_messages={"invalid_choice": "没有这个组织，或你无权查看它的数据。"},
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        units = (Branch.objects.all() if office_wide(user) else visible_branches(user)).order_by(
            "path"
        )
        self.fields["unit"].queryset = units
        if not office_wide(user):
            # A 支部书记 reports on a unit of their own; "全部组织" is the office's.
            self.fields["unit"].required = True
            self.fields["unit"].empty_label = None
            self.fields["unit"].error_messages["required"] = "请选择你所在的组织。"

    def clean(self) -> dict:
        data = super().clean()
        kind, start, end = data.get("kind"), data.get("start"), data.get("end")
        if not kind or not start:
            return data
        today = timezone.localdate()
        if kind == ReportKind.CUSTOM and not end:
            self.add_error("end", "自定义时段请填写结束日期。")
            return data
        if start > today:
            self.add_error("start", "开始日期不能晚于今天。")
            return data
        if start < EARLIEST:
            self.add_error("start", f"开始日期不能早于 {EARLIEST:%Y-%m-%d}。")
            return data
        if kind == ReportKind.CUSTOM:
            if end < start:
                self.add_error("end", "结束日期不能早于开始日期。")
                return data
            if end > today:
                self.add_error("end", "结束日期不能晚于今天。")
                return data
        period = reports.period_of(kind, start, end, today)
        if period.days > reports.MAX_DAYS:
            self.add_error("end", f"统计时段最长 {reports.MAX_DAYS} 天（一年）。")
            return data
        data["period"] = period
        return data


@permission_required("analytics.view_dashboard", raise_exception=True)
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ReportForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            reports.request_report(data["kind"], data["period"], data["unit"], request.user)
            return redirect("analytics_reports")
        log.info("report form refused for user %s: %s", request.user.pk, form.errors.as_json())
        status = 400
    else:
        last_monday = reports.week_of(timezone.localdate() - timedelta(days=7)).start
        form = ReportForm(user=request.user, initial={"start": last_monday})
        status = 200
    listed = list(
        reports.visible_reports(request.user)
        .select_related("created_by")
        .defer("body", "docx")[:LISTED]
    )
    waiting = any(r.status in (ReportStatus.PENDING, ReportStatus.RUNNING) for r in listed)
    return TemplateResponse(
        request,
        "analytics/admin/report_list.html",
        {"title": "数据统计 · 报告", "form": form, "reports": listed, "waiting": waiting},
        status=status,
    )


def _visible(request: HttpRequest, pk: int) -> Report:
    """The report, or 404 when it does not exist or lies outside the user's units."""
    report = reports.visible_reports(request.user).filter(pk=pk).first()
    if report is None:
        raise Http404("没有这份报告。")
    return report


@permission_required("analytics.view_dashboard", raise_exception=True)
def report_page(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible(request, pk)
    sections = []
    if report.status == ReportStatus.DONE:
        for n, data in enumerate(report.body["sections"]):
            table = reports.table_of(data)
            sections.append((reports.numeral(n + 2), table, draw(table) if table.rows else None))
    return TemplateResponse(
        request,
        "analytics/admin/report.html",
        {"report": report, "body": report.body, "sections": sections},
    )


@permission_required("analytics.view_dashboard", raise_exception=True)
def report_docx(request: HttpRequest, pk: int) -> HttpResponse:
    report = _visible(request, pk)
    if report.status != ReportStatus.DONE or not report.docx:
        raise Http404("这份报告还没有生成好。")
    response = HttpResponse(bytes(report.docx), content_type=DOCX)
    name = f"{report.get_kind_display()}-{report.unit_name}-{report.start:%Y%m%d}-{report.pk}.docx"
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
