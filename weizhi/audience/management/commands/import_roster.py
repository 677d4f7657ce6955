from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from weizhi.audience.roster import validate
from weizhi.audience.roster_import import RosterRejected, import_roster
from weizhi.audience.roster_plan import KEEP, MISSING_CHOICES, RETIRE, Display, make_plan


class Command(BaseCommand):
    help = (
        "从 .xlsx 文件导入党员名册（与后台“导入名册”的模板相同）。不加 --apply 时只检查并列出"
        "新增、变更（逐项）、未变和错误，不写入；加 --apply 才写入，全部成功或一行也不写。"
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="名册文件（.xlsx）")
        parser.add_argument("--apply", action="store_true", help="检查无误后写入名册")
        parser.add_argument(
            "--missing",
            choices=[KEEP, RETIRE],
            default=KEEP,
            help="名册中有、文件中没有的在册党员：keep 保留（默认），retire 标记为不在册",
        )

    def handle(self, *args, file: str, apply: bool, missing: str, **options) -> None:
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"找不到文件：{file}")
        parsed = validate(path)
        self.stdout.write(f"检查 {path.name}：共 {len(parsed.rows)} 行。")
        if parsed.errors:
            for error in parsed.errors:
                self.stderr.write(f"  {error}")
            raise CommandError(f"发现 {len(parsed.errors)} 处错误，没有写入任何数据。")
        plan = make_plan(parsed)
        self._preview(plan, missing)
        if not apply:
            self.stdout.write("这是预览，没有写入任何数据；确认无误后加 --apply 写入。")
            return
        try:
            applied = import_roster(path, by=None, missing=missing, expect=plan.fingerprint())
        except RosterRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(f"  {error}")
            raise CommandError("没有写入任何数据。") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"已写入：新增 {applied.created} 人，更新 {applied.updated} 人，"
                f"未变 {applied.unchanged} 人，标记为不在册 {applied.retired} 人。"
            )
        )

    def _preview(self, plan, missing: str) -> None:
        display = Display(full_phone=True)
        self.stdout.write(f"新增 {len(plan.new)} 人：")
        for row in plan.new:
            r = display.new_row(row)
            who = f"{r['name']}（{r['employee_number']}）"
            self.stdout.write(f"  第 {r['row']} 行 {who} {r['branch']} {r['status']}")
        self.stdout.write(f"变更 {len(plan.changed)} 人：")
        for change in plan.changed:
            c = display.change(change)
            fields = "；".join(f"{label} {old} → {new}" for label, old, new in c["fields"])
            self.stdout.write(f"  第 {c['row']} 行 {c['name']}（{c['employee_number']}）：{fields}")
        self.stdout.write(f"未变 {plan.unchanged} 人。")
        if plan.missing:
            self.stdout.write(
                f"名册中有、文件中没有的在册党员 {len(plan.missing)} 人"
                f"（{MISSING_CHOICES[missing]}）："
            )
            for member in plan.missing:
                m = display.missing(member)
                self.stdout.write(f"  {m['name']}（{m['employee_number']}） {m['branch']}")
