from django.core.management.base import BaseCommand

from weizhi.analytics.demo import load_demo_measure


class Command(BaseCommand):
    help = "载入一年的演示统计数据（每日汇总，可重复执行）。"

    def handle(self, *args, **options) -> None:
        days = load_demo_measure()
        self.stdout.write(f"演示统计数据：本次新增 {days} 天。后台“数据统计”查看。")
