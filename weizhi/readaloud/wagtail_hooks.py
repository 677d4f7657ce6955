from django.urls import path, reverse
from wagtail import hooks

from weizhi.core.adminmenu import PermissionMenuItem

from . import admin_views
from .viewsets import ReadAloudGroup


@hooks.register("register_admin_viewset")
def register_readaloud_viewsets() -> ReadAloudGroup:
    return ReadAloudGroup()


@hooks.register("register_admin_menu_item")
def register_stats_menu_item() -> PermissionMenuItem:
    return PermissionMenuItem(
        "朗读统计",
        reverse("readaloud_stats"),
        icon_name="table",
        order=266,
        permission="readaloud.view_readaloud_stats",
    )


@hooks.register("register_admin_urls")
def register_readaloud_urls() -> list:
    return [
        path("readaloud/readings/<int:pk>/", admin_views.reading_view, name="readaloud_reading"),
        path("readaloud/stats/", admin_views.stats_view, name="readaloud_stats"),
        path(
            "readaloud/clips/<int:pk>/reference/",
            admin_views.reference_view,
            name="readaloud_reference",
        ),
    ]
