from django.urls import path

from . import views

app_name = "notes"

urlpatterns = [
    path("", views.gallery, name="gallery"),
    path("write/", views.submit, name="submit"),
    path("mine/", views.mine, name="mine"),
    path("<int:pk>/like", views.like, name="like"),
]
