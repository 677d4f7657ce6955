from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "weizhi.surveys"
    label = "surveys"
    verbose_name = "调查问卷"
    default_auto_field = "django.db.models.BigAutoField"
