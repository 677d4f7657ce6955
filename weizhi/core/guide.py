"""管理后台的编辑指南: a short page in the admin itself, which the help menu and the home
page link to instead of Wagtail's English guide on the internet."""

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse


def guide_view(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "weizhi_admin/guide.html", {"page_title": "编辑指南"})
