"""manage.py import_questions FILE [--apply] [--json]: check (and with --apply, import) a
question bank file. With --json, one JSON object: {"rows": [{"row": 2, "ok": true, "type":
"单选题", "answer": "B"}, {"row": 5, "ok": false, "reason": "题干为空"}, …]}."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from weizhi.quiz import bank


class Command(BaseCommand):
    help = "检查并导入题库文件（.xlsx 或 .csv）；加 --apply 才写入。"

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--apply", action="store_true", help="全部无误时写入题库")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        try:
            checked = bank.check(path)
        except bank.FileRefused as exc:
            raise CommandError(str(exc)) from exc
        written = 0
        if options["apply"] and not checked.refused:
            written = bank.apply(checked, source=f"导入：{path.name}")
        if options["json"]:
            out = {"rows": [r.as_json() for r in checked.rows]}
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            for r in checked.rows:
                if not r.ok:
                    self.stdout.write(r.message)
            self.stdout.write(
                f"共 {len(checked.rows)} 行：可导入 {len(checked.good)}，"
                f"重复跳过 {len(checked.duplicates)}，有误 {len(checked.refused)}。"
            )
            if options["apply"]:
                self.stdout.write(
                    f"已导入 {written} 题。" if not checked.refused else "有错误，未导入任何题目。"
                )
        if checked.refused:
            raise SystemExit(1)
