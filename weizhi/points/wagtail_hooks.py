from django.urls import path, reverse
from wagtail import hooks

from weizhi.core.adminmenu import PermissionMenuItem

from . import admin_views
from .viewsets import PointsGroup


@hooks.register("register_admin_viewset")
def register_points_viewsets() -> PointsGroup:
    return PointsGroup()


@hooks.register("register_admin_menu_item")
def register_branch_points_item() -> PermissionMenuItem:
    return PermissionMenuItem(
        "支部积分概况",
        reverse("points_branches"),
        icon_name="group",
        order=271,
        permission="points.view_entry",
    )


@hooks.register("register_admin_menu_item")
def register_deduct_item() -> PermissionMenuItem:
    return PermissionMenuItem(
        "扣减积分",
        reverse("points_deduct"),
        icon_name="minus",
        order=272,
        permission="points.deduct_points",
    )


@hooks.register("register_admin_urls")
def register_points_urls() -> list:
    return [
        path("points/deduct/", admin_views.deduct_view, name="points_deduct"),
        path("points/branches/", admin_views.branches_view, name="points_branches"),
    ]
