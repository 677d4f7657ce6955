from django.core.management.base import BaseCommand

from weizhi.voices.demo import load_demo_voices


class Command(BaseCommand):
    help = "载入演示用的敏感词库、文章留言和投稿（可重复执行）。"

    def handle(self, *args, **options) -> None:
        made = load_demo_voices()
        self.stdout.write(
            f"演示留言与投稿：新增留言 {made['comments']} 条，新增投稿 {made['submissions']} 篇。"
        )
