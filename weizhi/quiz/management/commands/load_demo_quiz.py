from django.core.management.base import BaseCommand

from weizhi.quiz.demo import load_demo_quiz
from weizhi.quiz.models import Activity, Question


class Command(BaseCommand):
    help = "载入演示题库和答题活动（可重复执行）。"

    def handle(self, *args, **options) -> None:
        added = load_demo_quiz()
        self.stdout.write(
            f"演示题库：{Question.objects.count()} 题（本次新增 {added} 题），"
            f"{Activity.objects.count()} 个答题活动。党员登录后在 /quiz/ 答题。"
        )
