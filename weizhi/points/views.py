"""“我的积分”: a member's total, today's progress per action ("3/6"), and their ledger."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from weizhi.audience.models import Member
from weizhi.audience.views import member_required

from . import services


@member_required
def mine(request: HttpRequest, member: Member) -> HttpResponse:
    entries = member.point_entries.select_related("by").order_by("-at", "-pk")
    page = Paginator(entries, 30).get_page(request.GET.get("page"))
    context = {
        "member": member,
        "total": services.total(member),
        "progress": services.progress(member),
        "page": page,
    }
    return render(request, "points/mine.html", context)
