"""发布到公众号 in the admin: the send page, its buttons on pages, and the send log."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button, ListingButton

from . import views


@hooks.register("register_admin_urls")
def outbound_urls() -> list:
    return [
        path("wechat/send/<int:page_id>/", views.send_page, name="wechat_outbound_send"),
        path("wechat/sends/", views.send_list, name="wechat_outbound_sends"),
        path("wechat/sends/<int:send_id>/retry/", views.retry, name="wechat_outbound_retry"),
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
