"""数据统计 in the admin: three dashboards with a period and unit filter, each table drawn
as a chart and exported to .xlsx from the very same Table objects."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from weizhi.audience.models import Branch
from weizhi.audience.scope import visible_branches
from weizhi.core import charts

from . import dashboards
from .dashboards import DASHBOARDS, PERIODS, Period, Table, office_wide

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class FilterForm(forms.Form):
    days = forms.TypedChoiceField(
        label="统计时段", choices=list(PERIODS.items()), coerce=int, initial=30, required=False
    )
    unit = forms.ModelChoiceField(
        label="组织",
        queryset=Branch.objects.none(),
        required=False,
        empty_label="全部",
        error_messages={"invalid_choice": "没有这个组织，或你无权查看它的数据。"},
    )

    # A second period to compare with (内容 only); without one, the period just before.
    vs_start = forms.DateField(
        label="对比时段从",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请填写正确的日期，如 2026-01-31。"},
    )
    vs_end = forms.DateField(
        label="到",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "请填写正确的日期，如 2026-01-31。"},
    )

    def __init__(self, *args, user, compare: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = (
            Branch.objects.all() if office_wide(user) else visible_branches(user)
        ).order_by("path")
        if not compare:
            del self.fields["vs_start"], self.fields["vs_end"]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("vs_start"), data.get("vs_end")
        if "vs_start" not in self.fields or (start is None and end is None):
            return data
        if start is None or end is None:
            raise forms.ValidationError("对比时段请同时填写开始和结束日期。")
        if end < start:
            raise forms.ValidationError("对比时段的结束日期不能早于开始日期。")
        if start < EARLIEST or end > timezone.localdate():
            raise forms.ValidationError(f"对比时段须在 {EARLIEST:%Y-%m-%d} 到今天之间。")
        if (end - start).days + 1 > MAX_COMPARE_DAYS:
            raise forms.ValidationError(f"对比时段最长 {MAX_COMPARE_DAYS} 天。")
        return data

    def versus(self) -> Period | None:
        start, end = self.cleaned_data.get("vs_start"), self.cleaned_data.get("vs_end")
        return Period(start, end) if start and end else None


MAX_COMPARE_DAYS = 366
# No statistics are older than this; an earlier or a future date is a typo.
EARLIEST = date(2000, 1, 1)


def draw(table: Table):
    labels = [str(r[0]) for r in table.rows]
    if table.chart in {"bar", "counts"}:
        values = [r[table.value] for r in table.rows]
        return charts.bar(table.title, labels, values, shares=table.chart == "bar")
    if table.chart in {"stacked", "stacked_participation"}:
        first = 1 if table.chart == "stacked" else 4
        series = table.head[first:-1] if table.chart != "stacked" else table.head[first:]
        counts = [r[first : first + len(series)] for r in table.rows]
        return charts.stacked_bar(table.title, labels, series, counts)
    if table.chart == "paired":
        return charts.paired_bar(table.title, labels, table.head[1:], [r[1:] for r in table.rows])
    if table.chart == "grouped":
        series = [table.head[i] for i in table.series]
        counts = [[r[i] for i in table.series] for r in table.rows]
        return charts.grouped_bar(table.title, labels, series, counts)
    return None


@permission_required("analytics.view_dashboard", raise_exception=True)
def dashboard_view(request: HttpRequest, name: str) -> HttpResponse:
    if name not in DASHBOARDS:
        raise Http404("没有这个统计页面。")
    title, build = DASHBOARDS[name]
    form = FilterForm(request.GET or None, user=request.user, compare=name == "content")
    days, unit, versus = 30, None, None
    if form.is_valid():
        days = form.cleaned_data["days"] or 30
        unit = form.cleaned_data["unit"]
        versus = form.versus()
    elif form.is_bound:
        return TemplateResponse(
            request,
            "analytics/admin/dashboard.html",
            _context(name, title, form, None, []),
            status=400,
        )
    end = timezone.localdate()
    period = Period(end - timedelta(days=days - 1), end, versus)
    tables = build(request.user, period, unit)
    if request.GET.get("format") == "xlsx":
        body = dashboards.workbook(title, period, unit, tables)
        response = HttpResponse(body, content_type=XLSX)
        response["Content-Disposition"] = content_disposition_header(
            True, f"数据统计-{title}-{end:%Y%m%d}.xlsx"
        )
        return response
    return TemplateResponse(
        request, "analytics/admin/dashboard.html", _context(name, title, form, period, tables, unit)
    )


def _context(name, title, form, period, tables, unit=None) -> dict:
    return {
        "name": name,
        "title": f"数据统计 · {title}",
        "form": form,
        "period": period,
        "unit": unit,
        "tabs": [(key, label) for key, (label, _build) in DASHBOARDS.items()],
        "sections": [(t, draw(t)) for t in tables],
    }
