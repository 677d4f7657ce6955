from django.urls import path

from . import links, views

urlpatterns = [
    path("callback/", views.callback, name="wechat-callback"),
    path("login/<str:token>/", links.open_login_link, name="wechat-login"),
]
