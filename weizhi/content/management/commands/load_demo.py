import logging

from django.core.management.base import BaseCommand

from weizhi.content.demo import load_demo


class Command(BaseCommand):
    help = "Load demo stories, pictures and a topic page into every column. Safe to run again."

    def handle(self, *args, **options) -> None:
        # Wagtail logs every page it creates and publishes; at the default verbosity the
        # summary line is enough.
        logger = logging.getLogger("wagtail")
        level = logger.level
        if options["verbosity"] < 2:
            logger.setLevel(logging.WARNING)
        try:
            result = load_demo()
        finally:
            logger.setLevel(level)
        self.stdout.write(
            f"演示内容已就绪：本次新建页面 {result.pages} 个、图片 {result.images} 张，"
            f"已发布的演示稿件共 {result.live} 篇。"
        )
