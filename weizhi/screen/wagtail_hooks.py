from django.urls import path
from wagtail import hooks

from . import admin_views
from .viewsets import ScreenGroup


@hooks.register("register_admin_viewset")
def register_screen_viewsets() -> ScreenGroup:
    return ScreenGroup()


@hooks.register("register_admin_urls")
def register_screen_urls() -> list:
    return [
        path("screen/import/", admin_views.import_view, name="screen_import"),
        path("screen/try/", admin_views.try_view, name="screen_try"),
    ]
