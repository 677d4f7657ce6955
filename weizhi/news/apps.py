from django.apps import AppConfig


class NewsConfig(AppConfig):
    name = "weizhi.news"
    label = "news"
    verbose_name = "党建资讯"

    def ready(self) -> None:
        from django.conf import settings

        from weizhi.core.schedule import register_job
        from weizhi.news.tasks import fetch_feeds

        register_job(fetch_feeds, every=lambda: settings.NEWS_FETCH_SECONDS)
