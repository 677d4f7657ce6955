from django.urls import path, reverse, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button, ListingButton

from weizhi.core.adminmenu import PermissionMenuItem

from . import comment_views, comments, views


@hooks.register("register_admin_urls")
def outbound_urls() -> list:
    return [
        path("wechat/send/<int:page_id>/", views.send_page, name="wechat_outbound_send"),
        path("wechat/sends/", views.send_list, name="wechat_outbound_sends"),
    ]


@hooks.register("register_page_header_buttons")
def send_button_in_header(page, user, view_name, next_url=None):
    if views.can_send(user, page):
        url = reverse("wechat_outbound_send", args=[page.pk])
        yield Button("发布到公众号", url=url, icon_name="upload", priority=80)


@hooks.register("register_page_listing_more_buttons")
def send_button_in_listing(page, user, next_url=None):
    if views.can_send(user, page):
        url = reverse("wechat_outbound_send", args=[page.pk])
        yield ListingButton("发布到公众号", url=url, icon_name="upload", priority=45)


class SendLogMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return views.may_see_sends(request.user)


@hooks.register("register_wechat_menu_item")
def send_log_menu_item() -> MenuItem:
    return SendLogMenuItem(
        "公众号发送记录", reverse("wechat_outbound_sends"), icon_name="list-ul", order=720
    )


# Comments on WeChat articles (文章留言).


@hooks.register("register_admin_viewset")
def comment_viewset():
    return comment_views.comment_viewset


@hooks.register("register_admin_urls")
def comment_urls() -> list:
    return [
        path(
            "wechat/comment-actions/<int:pk>/<str:action>/",
            comment_views.comment_action,
            name="wechat_outbound_comment_action",
        ),
        path(
            "wechat/comment-articles/",
            comment_views.send_comments,
            name="wechat_outbound_comment_sends",
        ),
        path(
            "wechat/comment-articles/<int:send_id>/<str:action>/",
            comment_views.send_comments_action,
            name="wechat_outbound_comment_send_action",
        ),
    ]


@hooks.register("register_log_actions")
def comment_log_actions(actions) -> None:
    for action, label in comments.ACTIONS.items():
        actions.register_action(action, label, label)


@hooks.register("register_wechat_menu_item")
def comment_menu_item() -> MenuItem:
    return PermissionMenuItem(
        "文章留言",
        reverse_lazy(comment_views.comment_viewset.get_url_name("index")),
        icon_name="comment",
        order=730,
        permission=comment_views.VIEW,
    )


@hooks.register("register_wechat_menu_item")
def comment_articles_menu_item() -> MenuItem:
    return PermissionMenuItem(
        "留言文章",
        reverse_lazy("wechat_outbound_comment_sends"),
        icon_name="comment",
        order=731,
        permission=comment_views.VIEW,
    )
