from django.core.management.base import BaseCommand

from weizhi.notes.demo import load_demo_notes


class Command(BaseCommand):
    help = "载入演示用的手写学习笔记（动笔走心，图片在载入时绘制；可重复执行）。"

    def handle(self, *args, **options) -> None:
        made = load_demo_notes()
        self.stdout.write(f"演示学习笔记：新增 {made} 篇。")
