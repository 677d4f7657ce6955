from django.urls import path
from wagtail import hooks

from . import admin_views
from .models import RosterLogEntry
from .scope import ROSTER_MODELS
from .viewsets import AudienceGroup


@hooks.register("register_log_actions")
def roster_log_model(actions) -> None:
    # Wagtail logs these models' changes in RosterLogEntry, which applies the roster's scope.
    for model in ROSTER_MODELS:
        actions.register_model(model, RosterLogEntry)


@hooks.register("register_admin_viewset")
def register_audience_viewsets() -> AudienceGroup:
    return AudienceGroup()


@hooks.register("register_admin_urls")
def register_audience_urls() -> list:
    return [
        path("audience/import/", admin_views.import_roster_view, name="audience_import"),
        path(
            "audience/import/status/",
            admin_views.import_status_view,
            name="audience_import_status",
        ),
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
            "audience/members/<int:pk>/password/",
            admin_views.member_password_view,
            name="audience_member_password",
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
