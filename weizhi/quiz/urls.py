from django.urls import path

from . import live_views, views

app_name = "quiz"

urlpatterns = [
    path("", views.home, name="home"),
    path("history/", views.history, name="history"),
    path("<int:pk>/", views.activity, name="activity"),
    path("<int:pk>/start/", views.start, name="start"),
    path("attempt/<int:pk>/", views.attempt, name="attempt"),
    path("attempt/<int:pk>/answer/", views.answer, name="answer"),
    path("attempt/<int:pk>/finish/", views.finish, name="finish"),
    path("attempt/<int:pk>/result/", views.result, name="result"),
    path("live/", live_views.enter, name="live_enter"),
    path("live/<str:code>/", live_views.join, name="live_join"),
    path("live/<str:code>/play/", live_views.play, name="live_play"),
    path("live/<str:code>/state/", live_views.state, name="live_state"),
    path("live/<str:code>/answer/", live_views.answer, name="live_answer"),
]
