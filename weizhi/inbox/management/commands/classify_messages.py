"""Classify messages from standard input: JSON lines {"id", "text"} in, JSON lines
{"id", "category", "warn", "why"} out, with the rules the admin holds now.

A line that is not such an object is reported on standard error with its line number and
skipped; the command then exits with status 1 after the others are done."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from weizhi.inbox.classify import classify
from weizhi.inbox.processing import current_rules


class Command(BaseCommand):
    stealth_options = ("stdin",)
    help = "按分类规则为留言分类并判断是否预警（标准输入读 JSON 行，标准输出写 JSON 行）"

    def handle(self, *args, **options) -> None:
        rules = current_rules()
        stdin = options.get("stdin") or sys.stdin
        bad = 0
        for number, line in enumerate(stdin, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise ValueError("需要含 text 字符串的 JSON 对象")
            except ValueError as error:
                bad += 1
                self.stderr.write(f"第 {number} 行无法读取：{error}")
                continue
            result = classify(row["text"], rules)
            out = {
                "id": row.get("id"),
                "category": result.category,
                "warn": result.warn,
                "why": result.why,
            }
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        if bad:
            raise CommandError(f"{bad} 行无法读取，已跳过。")
