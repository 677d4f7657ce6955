"""Admin URLs and the menu item of the 公众号模拟器 (registered with Wagtail's hooks)."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from weizhi.core.adminmenu import PermissionMenuItem

from . import views as simulator


@hooks.register("register_admin_urls")
def register_simulator_urls() -> list:
    return [
        path("wechat/simulator/", simulator.simulator_page, name="wechat_simulator"),
        path("wechat/simulator/seal/", simulator.seal, name="wechat_simulator_seal"),
        path("wechat/simulator/open/", simulator.open_reply, name="wechat_simulator_open"),
        path("wechat/simulator/history/", simulator.history, name="wechat_simulator_history"),
        path(
            "wechat/simulator/follower/",
            simulator.new_follower,
            name="wechat_simulator_follower",
        ),
    ]


@hooks.register("register_wechat_menu_item")
def simulator_menu_item() -> MenuItem:
    return PermissionMenuItem(
        "公众号模拟器",
        reverse("wechat_simulator"),
        icon_name="mobile-alt",
        permission=simulator.PERMISSION,
    )
