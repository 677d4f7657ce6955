from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "weizhi.content"
    label = "content"
    verbose_name = "内容"

    def ready(self) -> None:
        from weizhi.content import images, signals  # noqa: F401
        from weizhi.content.pagecache import purge
        from weizhi.core.backup import register_post_restore

        # Pages cached before a restore show the data it replaced.
        register_post_restore(purge)
