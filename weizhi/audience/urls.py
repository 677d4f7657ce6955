from django.urls import path

from . import binding_views, views

app_name = "audience"

urlpatterns = [
    path("", views.me, name="me"),
    path("login/", views.login, name="login"),
    path("first-login/", views.first_login, name="first_login"),
    path("password/", views.set_password, name="set_password"),
    path("link/<str:token>/", views.login_link, name="login_link"),
    path("logout/", views.logout, name="logout"),
    path("phone/", views.edit_phone, name="edit_phone"),
    path("bind/", binding_views.bind, name="bind"),
    path("bind/request/", binding_views.request_binding, name="request_binding"),
    path("bind/this-wechat/", binding_views.bind_signed_in, name="bind_signed_in"),
    path("unbind/", binding_views.unbind, name="unbind"),
]
