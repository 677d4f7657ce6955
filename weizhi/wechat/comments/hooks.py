"""文章留言 in the admin: the moderation list, its actions and the 公众号 menu entries."""

from django.urls import path, reverse, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from weizhi.core.adminmenu import PermissionMenuItem
from weizhi.wechat.records.models import ArticleComment

from . import services as comments
from . import views as comment_views


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


def moderation_link(item) -> str | None:
    """A WeChat comment's page (reply, delete…), linked from the moderation queue."""
    pk = ArticleComment.objects.filter(moderation_item=item).values_list("pk", flat=True).first()
    if pk is None:
        return None
    return reverse(comment_views.comment_viewset.get_url_name("inspect"), args=[pk])
