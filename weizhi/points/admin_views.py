"""Deducting points (with a reason) and the branch view: averages, not a race."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from weizhi.audience.models import Branch
from weizhi.audience.scope import visible_branches

from . import services
from .viewsets import office_wide, scoped_members


class DeductForm(forms.Form):
    employee_number = forms.CharField(
        label="工号", max_length=20, error_messages={"required": "请填写工号。"}
    )
    points = forms.IntegerField(
        label="扣减积分", min_value=1, max_value=1000, error_messages={"required": "请填写积分。"}
    )
    reason = forms.CharField(
        label="原因", max_length=200, error_messages={"required": "请填写扣减原因。"}
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_employee_number(self):
        number = self.cleaned_data["employee_number"].strip()
        member = scoped_members(self.user).active().filter(employee_number=number).first()
        if member is None:
            raise forms.ValidationError("名册中没有这个工号，或你无权查看此人。")
        self.member = member
        return number

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写扣减原因。")
        return reason


@permission_required("points.deduct_points", raise_exception=True)
def deduct_view(request: HttpRequest) -> HttpResponse:
    form = DeductForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.deduct(form.member, data["points"], data["reason"], by=request.user)
        messages.success(request, f"已扣减 {form.member.name} {data['points']} 积分。")
        return redirect("points_entry:index")
    return TemplateResponse(request, "points/admin/deduct.html", {"form": form})


def branch_rows(user) -> list[dict]:
    """Per visible branch (its own members, not the subtree's): members, members with any
    points, and the average per member."""
    everything = office_wide(user)
    branches = (Branch.objects.all() if everything else visible_branches(user)).filter(
        members__active=True
    )
    branches = branches.distinct()
    members = scoped_members(user).filter(active=True)
    stats = {
        row["branch"]: row
        for row in members.values("branch").annotate(
            people=Count("pk", distinct=True),
            earners=Count("point_entries__member", distinct=True),
            total=Sum("point_entries__points"),
        )
    }
    rows = []
    for branch in branches.order_by("path"):
        s = stats.get(branch.pk, {"people": 0, "earners": 0, "total": 0})
        people = s["people"] or 0
        rows.append(
            {
                "branch": branch,
                "people": people,
                "earners": s["earners"],
                "average": round((s["total"] or 0) / people, 1) if people else 0,
            }
        )
    return rows


@permission_required("points.view_entry", raise_exception=True)
def branches_view(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "points/admin/branches.html", {"rows": branch_rows(request.user)}
    )
