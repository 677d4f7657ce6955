from django.urls import path, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from weizhi.core.adminmenu import PermissionMenuItem

from . import admin_views
from .models import Department, Rule, Snippet


class SnippetViewSet(ModelViewSet):
    name = "inbox_snippet"
    model = Snippet
    icon = "doc-full"
    menu_label = "快捷回复"
    form_fields = ["title", "text", "sort_order"]
    list_display = ["title", "sort_order"]
    copy_view_enabled = False


class RuleViewSet(ModelViewSet):
    name = "inbox_rule"
    model = Rule
    icon = "cog"
    menu_label = "分类规则"
    form_fields = ["kind", "label", "term", "is_pattern", "weight", "reason", "active"]
    list_display = ["label", "term", "weight", "reason", BooleanColumn("active", label="启用")]
    list_filter = ["kind", "active"]
    search_fields = ["label", "term", "reason"]
    search_backend_name = None
    copy_view_enabled = False


class DepartmentViewSet(ModelViewSet):
    name = "inbox_department"
    model = Department
    icon = "group"
    menu_label = "承办部门"
    form_fields = ["name", "handlers"]
    list_display = ["name"]
    copy_view_enabled = False


class InboxGroup(ViewSetGroup):
    menu_label = "留言办理"
    menu_icon = "mail"
    menu_order = 260
    items = (SnippetViewSet, RuleViewSet, DepartmentViewSet)

    def get_submenu_items(self) -> list[AdminMenuItem]:
        first = [
            PermissionMenuItem(
                "留言工单",
                reverse_lazy("inbox_admin_list"),
                icon_name="mail",
                order=1,
                permission="inbox.handle_item",
            ),
            PermissionMenuItem(
                "留言统计",
                reverse_lazy("inbox_admin_dashboard"),
                icon_name="table",
                order=2,
                permission="inbox.handle_item",
            ),
            PermissionMenuItem(
                "预警与督办提醒",
                reverse_lazy("inbox_admin_notifications"),
                icon_name="warning",
                order=3,
                permission="inbox.manage_inbox",
            ),
        ]
        return [*first, *super().get_submenu_items()]


@hooks.register("register_admin_viewset")
def register_inbox_viewsets() -> InboxGroup:
    return InboxGroup()


@hooks.register("register_admin_urls")
def register_inbox_urls() -> list:
    return [
        path("inbox/", admin_views.item_list, name="inbox_admin_list"),
        path("inbox/<int:pk>/", admin_views.item_detail, name="inbox_admin_item"),
        path("inbox/dashboard/", admin_views.dashboard, name="inbox_admin_dashboard"),
        path("inbox/notifications/", admin_views.notifications, name="inbox_admin_notifications"),
        path(
            "inbox/notifications/read/",
            admin_views.notifications_read,
            name="inbox_admin_notifications_read",
        ),
    ]
