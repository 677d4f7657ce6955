from django.apps import AppConfig


class QuizConfig(AppConfig):
    name = "weizhi.quiz"
    label = "quiz"
    verbose_name = "答题"
    default_auto_field = "django.db.models.BigAutoField"
