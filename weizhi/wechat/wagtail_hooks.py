"""The 公众号 menu of the admin: reply rules and received messages here; each feature
(menu, simulator, publishing, comments) brings its own pages through its hooks module."""

from django.http import HttpRequest
from django.urls import path, reverse, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.widgets import ListingButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from weizhi.core.adminmenu import PermissionMenuItem
from weizhi.core.choosers import SnippetChooserViewSet

from . import connect_views
from .comments import hooks as comment_hooks  # noqa: F401  (each feature's own hooks)
from .inbox import manual
from .menu import hooks as menu_hooks  # noqa: F401
from .models import InboundMessage, ReplyRule
from .publishing import hooks as publishing_hooks  # noqa: F401
from .signin.share import share_scripts_html
from .simulator import hooks as simulator_hooks  # noqa: F401

# The content app's share card (story pages) carries WeChat's share scripts inside WeChat.
hooks.register("insert_story_share_html", share_scripts_html)


class ReplyRuleViewSet(SnippetViewSet):
    model = ReplyRule
    chooser_viewset_class = SnippetChooserViewSet
    menu_label = "自动回复"
    icon = "comment"
    list_display = [
        "name",
        "trigger",
        "keyword_preview",
        "reply_type",
        "priority",
        BooleanColumn("enabled", label="启用", sort_key="enabled"),
    ]
    list_filter = ["trigger", "reply_type", "enabled"]
    search_fields = ["name", "keywords", "text"]
    search_backend_name = None
    ordering = ["trigger", "-priority", "id"]


class InboundMessageViewSet(SnippetViewSet):
    model = InboundMessage
    chooser_viewset_class = SnippetChooserViewSet
    menu_label = "收到的消息"
    icon = "mail"
    list_display = ["received_at", "openid", "msg_type", "content_preview", "status", "rule"]
    list_filter = ["msg_type", "status", "encrypted"]
    search_fields = ["content", "openid"]
    search_backend_name = None
    inspect_view_enabled = True
    list_per_page = 50

    def get_queryset(self, request: HttpRequest):
        return InboundMessage.objects.select_related("rule")


class WechatGroup(SnippetViewSetGroup):
    menu_label = "公众号"
    menu_icon = "mail"
    menu_order = 250
    items = (ReplyRuleViewSet, InboundMessageViewSet)

    def get_submenu_items(self) -> list[MenuItem]:
        # Pages of the 公众号 menu that are not model listings add themselves through
        # this hook, each with the permission that shows it.
        extra = [make_item() for make_item in hooks.get_hooks("register_wechat_menu_item")]
        return [*super().get_submenu_items(), *extra]


register_snippet(WechatGroup)


@hooks.register("register_admin_urls")
def connect_urls() -> list:
    return [
        path("wechat/connect/", connect_views.connect, name="wechat_connect"),
        path("wechat/connect/check/", connect_views.check_api, name="wechat_connect_check"),
        path("wechat/messages/<int:pk>/reply/", manual.reply_page, name="wechat_manual_reply"),
    ]


@hooks.register("register_snippet_listing_buttons")
def manual_reply_button(snippet, user, next_url=None):
    if isinstance(snippet, InboundMessage) and manual.may_reply(user):
        url = reverse("wechat_manual_reply", args=[snippet.pk])
        yield ListingButton("回复", url=url, icon_name="mail", priority=5)


@hooks.register("register_wechat_menu_item")
def connect_item() -> MenuItem:
    return PermissionMenuItem(
        "公众号接入",
        reverse_lazy("wechat_connect"),
        icon_name="cog",
        order=20,
        permission=connect_views.PERMISSION,
    )
