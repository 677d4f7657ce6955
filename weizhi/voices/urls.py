from django.urls import path

from . import views

app_name = "voices"

urlpatterns = [
    path("pages/<int:page_id>/comments/", views.comment_page, name="comments"),
    path("pages/<int:page_id>/comments/list", views.comment_list, name="comment_list"),
    path("comments/<int:pk>/like", views.like_comment, name="like"),
    path("comments/<int:pk>/delete", views.delete_comment, name="delete"),
    path("submit/", views.submit, name="submit"),
    path("submissions/", views.my_submissions, name="my_submissions"),
]
