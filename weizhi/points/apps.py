from django.apps import AppConfig


class PointsConfig(AppConfig):
    name = "weizhi.points"
    label = "points"
    verbose_name = "积分"
    default_auto_field = "django.db.models.BigAutoField"
