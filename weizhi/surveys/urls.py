from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("<int:pk>/", views.answer, name="answer"),
    path("<int:pk>/done/", views.done, name="done"),
    path("<int:pk>/cancel/", views.cancel, name="cancel"),
    path("checkin/<int:pk>/<str:code>/", views.check_in, name="check_in"),
]
