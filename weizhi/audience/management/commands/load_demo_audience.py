from django.core.management.base import BaseCommand

from weizhi.audience.demo import DEMO_MEMBER, load_demo_audience
from weizhi.audience.models import Branch, Member


class Command(BaseCommand):
    help = "载入演示用的组织树和党员名册（可重复执行）。"

    def handle(self, *args, **options) -> None:
        created = load_demo_audience()
        self.stdout.write(
            f"演示名册：{Branch.objects.count()} 个党组织，{Member.objects.count()} 名党员"
            f"（本次新增 {created} 名）。"
        )
        self.stdout.write(
            f"在 /me/first-login/ 试用：工号 {DEMO_MEMBER['employee_number']}，"
            f"姓名 {DEMO_MEMBER['name']}，手机号后四位 {DEMO_MEMBER['phone'][-4:]}。"
        )
