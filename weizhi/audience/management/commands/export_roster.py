from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from weizhi.audience import services
from weizhi.audience.models import Member
from weizhi.audience.roster_import import export_rows


class Command(BaseCommand):
    help = (
        "把党员名册（含不在册的）导出为 .xlsx，列与后台导出和导入模板相同（完整手机号），"
        "导出后原样导入不会改变名册。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="写入的文件（.xlsx），已存在则覆盖")

    def handle(self, *args, file: str, **options) -> None:
        path = Path(file)
        if path.suffix.lower() != ".xlsx":
            raise CommandError("文件名须以 .xlsx 结尾。")
        members = Member.objects.select_related("branch").prefetch_related("role_tags")
        body = export_rows(members, full_phone=True)
        try:
            path.write_bytes(body)
        except OSError as exc:
            raise CommandError(f"无法写入 {file}：{exc.strerror}") from None
        count = members.count()
        services.log_export(None, {"command": "export_roster"}, count)
        self.stdout.write(self.style.SUCCESS(f"已导出 {count} 名党员到 {path}。"))
