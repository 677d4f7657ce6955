from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views
from .viewsets import AudienceGroup


@hooks.register("register_admin_viewset")
def register_audience_viewsets() -> AudienceGroup:
    return AudienceGroup()


@hooks.register("register_admin_urls")
def register_audience_urls() -> list:
    return [
        path("audience/import/", admin_views.import_roster_view, name="audience_import"),
        path(
            "audience/import/confirm/",
            admin_views.confirm_import_view,
            name="audience_import_confirm",
        ),
        path(
            "audience/import/template.xlsx",
            admin_views.template_view,
            name="audience_import_template",
        ),
        path(
            "audience/members/<int:pk>/login-link/",
            admin_views.login_link_view,
            name="audience_login_link",
        ),
        path(
            "audience/binding-requests/",
            admin_views.binding_requests_view,
            name="audience_binding_requests",
        ),
        path(
            "audience/binding-requests/<int:pk>/decide/",
            admin_views.decide_binding_view,
            name="audience_binding_decide",
        ),
    ]


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request) -> bool:
        return request.user.has_perm(self.permission)


@hooks.register("register_admin_menu_item")
def import_menu_item() -> MenuItem:
    return PermissionMenuItem(
        "导入名册",
        reverse("audience_import"),
        icon_name="upload",
        order=251,
        permission="audience.import_member",
    )


@hooks.register("register_admin_menu_item")
def binding_menu_item() -> MenuItem:
    return PermissionMenuItem(
        "绑定申请",
        reverse("audience_binding_requests"),
        icon_name="link",
        order=252,
        permission="audience.change_bindingrequest",
    )
