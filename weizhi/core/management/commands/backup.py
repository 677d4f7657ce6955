import logging
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from weizhi.core.backup import BackupError, backup
from weizhi.core.health import check_tasks

log = logging.getLogger("weizhi.backup")


class Command(BaseCommand):
    help = (
        "Back up the database, uploaded media and the generated secret key into a new "
        "directory weizhi-<time> under DIR, with a manifest of versions and checksums."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, help="Where to create the backup directory.")

    def handle(self, *args, directory: Path, **options) -> None:
        if settings.TASKS_BACKEND_NAME == "rq":
            # Jobs waiting in Redis are not part of any backup (see the README).
            waiting = _jobs_waiting()
            if waiting:
                self.stderr.write(
                    f"注意：Redis 任务队列中还有 {waiting} 个任务未执行，它们不在备份中；"
                    "最好在队列为空时备份（见 /healthz 的 tasks.waiting）。"
                )
        try:
            result = backup(directory)
        except BackupError as exc:
            log.error("backup failed: %s", exc.detail)
            raise CommandError(exc.message) from exc
        except DatabaseError as exc:
            log.error("backup failed: database error: %s", exc)
            raise CommandError(f"读取数据库失败：{exc}") from exc
        except OSError as exc:
            log.error("backup failed: %s", exc)
            raise CommandError(
                f"写入备份失败：{exc.strerror or exc}（{exc.filename or directory}）"
            ) from exc
        for warning in result.manifest["warnings"]:
            self.stderr.write(f"注意：{warning}")
        files = result.manifest["files"]
        size = sum(entry["size"] for entry in files)
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成：{result.path}（{len(files)} 个文件，{size / 1e6:.1f} MB）"
            )
        )
        self.stdout.write(result.path.as_posix())


def _jobs_waiting() -> int:
    try:
        return check_tasks().get("waiting", 0)
    except Exception as exc:  # Redis down: the backup itself still matters
        log.warning("cannot count the jobs waiting in Redis: %s", exc)
        return 0
