from django.urls import path
from wagtail import hooks

from . import admin_views
from .viewsets import SurveyGroup


@hooks.register("register_admin_viewset")
def register_survey_viewsets() -> SurveyGroup:
    return SurveyGroup()


@hooks.register("register_admin_urls")
def register_survey_urls() -> list:
    return [
        path("surveys/<int:pk>/results/", admin_views.results_view, name="surveys_results"),
        path("surveys/<int:pk>/export.xlsx", admin_views.export_view, name="surveys_export"),
        path("surveys/<int:pk>/print/", admin_views.print_view, name="surveys_print"),
        path("surveys/<int:pk>/share/", admin_views.share_view, name="surveys_share"),
        path("surveys/<int:pk>/copy/", admin_views.copy_view, name="surveys_copy"),
        path("meetings/<int:pk>/host/", admin_views.host_view, name="surveys_meeting_host"),
        path("meetings/<int:pk>/live/", admin_views.live_view, name="surveys_meeting_live"),
        path(
            "meetings/<int:pk>/export.xlsx",
            admin_views.meeting_export_view,
            name="surveys_meeting_export",
        ),
    ]
