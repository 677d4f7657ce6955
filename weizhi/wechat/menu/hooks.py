"""Admin URLs and the menu item of the custom-menu editor (registered with Wagtail's hooks)."""

from django.urls import path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from weizhi.core.adminmenu import PermissionMenuItem

from . import views as menu_views


@hooks.register("register_admin_urls")
def menu_urls() -> list:
    return [
        path("wechat/menu/", menu_views.edit, name="wechat_menu"),
        path("wechat/menu/pull/", menu_views.pull, name="wechat_menu_pull"),
    ]


@hooks.register("register_wechat_menu_item")
def menu_item() -> MenuItem:
    return PermissionMenuItem(
        "自定义菜单",
        reverse_lazy("wechat_menu"),
        icon_name="list-ul",
        order=10,
        permission=menu_views.PERMISSION,
    )
