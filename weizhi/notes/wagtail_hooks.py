from django.urls import path, reverse
from wagtail import hooks

from weizhi.core.adminmenu import PermissionMenuItem

from . import admin_views


@hooks.register("register_admin_menu_item")
def register_notes_menu_item() -> PermissionMenuItem:
    return PermissionMenuItem(
        "学习笔记",
        reverse("notes_admin"),
        icon_name="image",
        order=265,
        permission="moderation.view_item",
    )


@hooks.register("register_admin_menu_item")
def register_notes_stats_menu_item() -> PermissionMenuItem:
    return PermissionMenuItem(
        "笔记统计",
        reverse("notes_stats"),
        icon_name="table",
        order=266,
        permission="notes.view_note",
    )


@hooks.register("register_admin_urls")
def register_notes_urls() -> list:
    return [
        path("notes/", admin_views.notes_view, name="notes_admin"),
        path("notes/<int:pk>/feature", admin_views.feature_view, name="notes_feature"),
        path("notes/article", admin_views.article_view, name="notes_article"),
        path("notes/stats/", admin_views.stats_view, name="notes_stats"),
    ]
