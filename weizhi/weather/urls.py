from django.urls import path

from weizhi.weather import views

urlpatterns = [path("widget", views.widget, name="weather-widget")]
