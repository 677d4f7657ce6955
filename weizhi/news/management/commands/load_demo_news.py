from django.core.management.base import BaseCommand

from weizhi.news.demo import load_demo_news


class Command(BaseCommand):
    help = "载入两个演示资讯来源及其条目（可重复运行）。"

    def handle(self, *args, **options) -> None:
        feeds, items = load_demo_news()
        self.stdout.write(f"演示资讯：新建来源 {feeds} 个，新增条目 {items} 条。")
