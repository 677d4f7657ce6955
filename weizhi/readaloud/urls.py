from django.urls import path

from . import views

app_name = "readaloud"

urlpatterns = [
    path("", views.home, name="home"),
    path("mine/", views.mine, name="mine"),
    path("gallery/", views.gallery, name="gallery"),
    path("clips/<int:pk>/", views.clip_page, name="clip"),
    path("clips/<int:pk>/read", views.read, name="read"),
    path("clips/<int:pk>/wechat", views.read_in_wechat, name="read-in-wechat"),
    path("wechat/<int:pk>/", views.wechat_status, name="wechat-status"),
    path("readings/<int:pk>/", views.reading_page, name="reading"),
    path("readings/<int:pk>/audio", views.listen, name="listen"),
]
