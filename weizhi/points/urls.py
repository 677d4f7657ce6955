from django.urls import path

from . import reading, views

app_name = "points"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("read/<int:page_id>/", reading.read, name="read"),
]
