from django.urls import path

from weizhi.news import demo

urlpatterns = [path("demo/<path:name>", demo.demo_file, name="news-demo-file")]
