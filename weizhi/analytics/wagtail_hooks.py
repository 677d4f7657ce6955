from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from wagtail import hooks
from wagtail.admin.menu import Menu, SubmenuMenuItem

from weizhi.analytics import admin_views, report_views
from weizhi.analytics.dashboards import DASHBOARDS
from weizhi.analytics.office_home import OfficeHomePanel
from weizhi.core.adminmenu import PermissionMenuItem


@hooks.register("construct_homepage_panels")
def add_office_home(request, panels: list) -> None:
    panels.insert(0, OfficeHomePanel(request))


@hooks.register("insert_global_admin_css")
def office_home_css() -> str:
    return format_html('<link rel="stylesheet" href="{}">', static("weizhi/office_home.css"))


@hooks.register("register_admin_urls")
def register_dashboard_urls() -> list:
    return [
        path("measure/reports/", report_views.report_list, name="analytics_reports"),
        path("measure/reports/<int:pk>/", report_views.report_page, name="analytics_report"),
        path(
            "measure/reports/<int:pk>/docx/",
            report_views.report_docx,
            name="analytics_report_docx",
        ),
        path("measure/<slug:name>/", admin_views.dashboard_view, name="analytics_dashboard"),
    ]


class DashboardMenuItem(SubmenuMenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm("analytics.view_dashboard")


@hooks.register("register_admin_menu_item")
def register_dashboard_menu() -> SubmenuMenuItem:
    items = [
        PermissionMenuItem(
            label,
            reverse("analytics_dashboard", args=[key]),
            icon_name="table",
            order=n,
            permission="analytics.view_dashboard",
        )
        for n, (key, (label, _build)) in enumerate(DASHBOARDS.items())
    ]
    items.append(
        PermissionMenuItem(
            "报告",
            reverse("analytics_reports"),
            icon_name="doc-full",
            order=len(items),
            permission="analytics.view_dashboard",
        )
    )
    return DashboardMenuItem("数据统计", Menu(items=items), icon_name="table", order=280)
