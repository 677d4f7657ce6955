from django.urls import path, reverse, reverse_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import tasks_admin
from .adminmenu import PermissionMenuItem
from .guide import guide_view
from .users_admin import BULK_ACTIONS

# Registered after Wagtail's own user bulk actions (order 0), which they replace.
for action_class in BULK_ACTIONS:
    hooks.register("register_bulk_action", action_class, order=1)


@hooks.register("register_admin_urls")
def task_urls() -> list:
    return [
        path("tasks/", tasks_admin.task_list, name="core_tasks"),
        path("tasks/<str:job_id>/retry/", tasks_admin.task_retry, name="core_task_retry"),
    ]


@hooks.register("register_settings_menu_item")
def task_menu_item() -> MenuItem:
    return PermissionMenuItem(
        "任务",
        reverse_lazy("core_tasks"),
        icon_name="cogs",
        order=900,
        permission=tasks_admin.PERMISSION,
    )


@hooks.register("register_admin_urls")
def register_guide_url() -> list:
    return [path("guide/", guide_view, name="weizhi_guide")]


@hooks.register("register_help_menu_item")
def register_guide_menu_item() -> MenuItem:
    return MenuItem("编辑指南", reverse("weizhi_guide"), icon_name="help", order=1100)


@hooks.register("construct_help_menu")
def drop_internet_help(request, menu_items: list) -> None:
    # Wagtail's English guide and release notes live on the internet; ours is in the admin.
    menu_items[:] = [
        item
        for item in menu_items
        if item.name != "editor-guide" and not item.name.startswith("whats-new-in-wagtail")
    ]
