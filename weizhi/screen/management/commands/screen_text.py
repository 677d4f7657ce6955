"""manage.py screen_text [--lexicon FILE]: screen each line of standard input and print one
JSON object per line: {"flagged": bool, "terms": [...], "categories": [...]}.

Without --lexicon the lexicon in the database is used; with it, the file's terms (one a line,
UTF-8 or GBK, "term<TAB>category" naming a category). The default allow-list applies to both.
"""

import io
import json
import sys

from django.core.management.base import BaseCommand, CommandError

from weizhi.screen import services


class Command(BaseCommand):
    help = "逐行筛查标准输入的文字，每行输出一个 JSON 对象。"
    stealth_options = ("stdin",)

    def add_arguments(self, parser) -> None:
        parser.add_argument("--lexicon", metavar="FILE", help="词库文件（一行一个词）")

    def handle(self, *args, lexicon: str | None = None, **options) -> None:
        if lexicon:
            try:
                matcher = services.build_from_file(lexicon)
            except OSError as error:
                raise CommandError(f"无法读取词库文件 {lexicon}：{error.strerror}") from error
        else:
            matcher = services.current_matcher()
        stdin = options.get("stdin") or io.TextIOWrapper(
            sys.stdin.buffer, encoding="utf-8", errors="replace"
        )
        out = self.stdout
        for line in stdin:
            result = matcher.screen(line.rstrip("\r\n"))
            out.write(json.dumps(result.as_json(), ensure_ascii=False))
