from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "weizhi.search"
    label = "weizhi_search"
    verbose_name = "中文搜索"
