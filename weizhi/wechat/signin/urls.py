from django.urls import path

from . import views as oauth_views

urlpatterns = [
    path("start/", oauth_views.start, name="wechat-oauth-start"),
    path("callback/", oauth_views.callback, name="wechat-oauth-callback"),
    path("in-chat/", oauth_views.in_chat, name="wechat-oauth-in-chat"),
    path("jssdk/config/", oauth_views.jssdk_config, name="wechat-jssdk-config"),
    # The simulated account's authorize page; api/oauth.py SIMULATED_AUTHORIZE_PATH.
    path(
        "fake/connect/oauth2/authorize",
        oauth_views.fake_authorize_page,
        name="wechat-oauth-fake-authorize",
    ),
]
