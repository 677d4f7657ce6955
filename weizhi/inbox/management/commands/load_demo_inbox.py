from django.core.management.base import BaseCommand

from weizhi.inbox.demo import load_demo_inbox
from weizhi.inbox.models import Item


class Command(BaseCommand):
    help = "载入演示用的留言（含几条思想动态预警，可重复执行）。"

    def handle(self, *args, **options) -> None:
        added = load_demo_inbox()
        warned = Item.objects.filter(warn=True).count()
        self.stdout.write(
            f"演示留言：{Item.objects.count()} 件（其中预警 {warned} 件，"
            f"本次新增留言 {added} 条）。在管理后台“留言办理 → 留言工单”查看。"
        )
