from django.urls import path

from . import views

app_name = "inbox"

urlpatterns = [
    path("", views.my_messages, name="mine"),
    path("new/", views.write, name="write"),
    path("rate/<str:token>/", views.rate, name="rate"),
]
