from django.urls import path, reverse
from wagtail import hooks

from weizhi.core.adminmenu import PermissionMenuItem

from . import admin_views, live, live_admin
from .viewsets import QuizGroup


@hooks.register("register_admin_viewset")
def register_quiz_viewsets() -> QuizGroup:
    return QuizGroup()


@hooks.register("register_admin_menu_item")
def register_import_menu_item() -> PermissionMenuItem:
    return PermissionMenuItem(
        "导入题库",
        reverse("quiz_import"),
        icon_name="upload",
        order=261,
        permission="quiz.import_question",
    )


@hooks.register("register_admin_menu_item")
def register_stats_menu_item() -> PermissionMenuItem:
    return PermissionMenuItem(
        "答题统计",
        reverse("quiz_stats"),
        icon_name="table",
        order=262,
        permission="quiz.view_attempt",
    )


@hooks.register("register_admin_urls")
def register_quiz_urls() -> list:
    return [
        path("quiz/import/", admin_views.import_view, name="quiz_import"),
        path("quiz/import/confirm/", admin_views.confirm_view, name="quiz_import_confirm"),
        path("quiz/import/template.xlsx", admin_views.template_view, name="quiz_import_template"),
        path("quiz/export.xlsx", admin_views.export_view, name="quiz_export"),
        path("quiz/stats/", admin_views.stats_view, name="quiz_stats"),
    ]


class LiveMenuItem(PermissionMenuItem):
    """Shown to whoever may host: editors, and 支部书记 for their branches."""

    def is_shown(self, request) -> bool:
        return live.may_host(request.user)


@hooks.register("register_admin_menu_item")
def register_live_menu_item() -> PermissionMenuItem:
    return LiveMenuItem(
        "现场竞答",
        reverse("quiz_live"),
        icon_name="time",
        order=263,
        permission="quiz.view_attempt",
    )


@hooks.register("register_admin_urls")
def register_live_urls() -> list:
    return [
        path("quiz/live/", live_admin.index, name="quiz_live"),
        path("quiz/live/<int:pk>/", live_admin.screen, name="quiz_live_screen"),
        path("quiz/live/<int:pk>/state/", live_admin.state, name="quiz_live_state"),
        path("quiz/live/<int:pk>/step/", live_admin.step, name="quiz_live_step"),
    ]
