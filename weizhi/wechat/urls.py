from django.urls import path

from .callback import views
from .signin import links

urlpatterns = [
    path("callback/", views.callback, name="wechat-callback"),
    path("login/<str:token>/", links.open_login_link, name="wechat-login"),
]
