from django.core.management.base import BaseCommand

from weizhi.analytics.demo import load_demo_measure
from weizhi.analytics.reports import schedule_reports


class Command(BaseCommand):
    help = "载入一年的演示统计数据（每日汇总，可重复执行），并安排生成上周周报和上月月报。"

    def handle(self, *args, **options) -> None:
        days = load_demo_measure()
        self.stdout.write(f"演示统计数据：本次新增 {days} 天。后台“数据统计”查看。")
        # The reports the scheduler would have made by now; a task worker generates them.
        made = schedule_reports()
        if made:
            self.stdout.write(f"演示报告：已安排生成 {len(made)} 份，后台“数据统计 → 报告”查看。")
