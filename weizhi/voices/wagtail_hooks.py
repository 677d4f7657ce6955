from django.urls import path
from wagtail import hooks

from . import admin_views


@hooks.register("register_admin_urls")
def register_voices_urls() -> list:
    return [path("voices/comments/<int:pk>/", admin_views.comment_view, name="voices_comment")]
