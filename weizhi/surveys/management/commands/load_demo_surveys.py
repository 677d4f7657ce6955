from django.core.management.base import BaseCommand

from weizhi.surveys.demo import load_demo_surveys


class Command(BaseCommand):
    help = "载入演示用的问卷、报名和会议签到（可重复执行）。"

    def handle(self, *args, **options) -> None:
        made = load_demo_surveys()
        self.stdout.write(
            f"演示问卷：{made['surveys']} 份问卷，{made['responses']} 份答卷，"
            f"{made['checkins']} 人次签到。"
        )
