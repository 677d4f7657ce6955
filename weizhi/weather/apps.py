from django.apps import AppConfig


class WeatherConfig(AppConfig):
    name = "weizhi.weather"
    label = "weather"
    verbose_name = "天气预报"
