from django.core.management.base import BaseCommand

from weizhi.readaloud.demo import load_demo_readaloud


class Command(BaseCommand):
    help = "载入演示用的听读悟篇目和示例朗读（占位录音，可重复执行）。"

    def handle(self, *args, **options) -> None:
        made = load_demo_readaloud()
        self.stdout.write(
            f"演示听读悟：新增篇目 {made['clips']} 段，"
            f"新增示例朗读 {made['readings']} 条（占位录音）。"
        )
