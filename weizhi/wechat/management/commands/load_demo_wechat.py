from django.core.management.base import BaseCommand

from weizhi.wechat.simulator.demo import load_demo_wechat


class Command(BaseCommand):
    help = "Create the demo reply rules and custom menu of the Official Account. Safe to run again."

    def handle(self, *args, **options) -> None:
        created = load_demo_wechat()
        self.stdout.write(f"公众号演示规则已就绪：本次新建自动回复规则 {created} 条。")
