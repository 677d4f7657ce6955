from django.urls import path, reverse_lazy
from wagtail import hooks

from weizhi.core.adminmenu import PermissionMenuItem

from . import admin_views


@hooks.register("register_admin_urls")
def register_moderation_urls() -> list:
    return [
        path("moderation/", admin_views.queue_view, name="moderation_queue"),
        path("moderation/bulk/", admin_views.bulk_view, name="moderation_bulk"),
        path("moderation/<int:pk>/", admin_views.item_view, name="moderation_item"),
    ]


@hooks.register("register_admin_menu_item")
def register_moderation_menu_item() -> PermissionMenuItem:
    return PermissionMenuItem(
        "投稿与留言审核",
        reverse_lazy("moderation_queue"),
        icon_name="tasks",
        order=260,
        permission="moderation.view_item",
    )
