import logging
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from weizhi.core.backup import BackupError
from weizhi.core.restore import restore
from weizhi.env import envstr

log = logging.getLogger("weizhi.backup")


class Command(BaseCommand):
    help = (
        "Restore a backup directory made by `manage.py backup` into this instance, after "
        "checking its checksums and that this code knows its schema. Stop the site first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, help="The backup's directory (weizhi-<time>).")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an instance that already has data: its database contents and media "
            "files become exactly the backup's.",
        )
        parser.add_argument(
            "--migrate",
            action="store_true",
            help="Run `migrate` afterwards, bringing a backup made by older code up to date.",
        )

    def handle(self, *args, directory: Path, force: bool, migrate: bool, **options) -> None:
        try:
            restored = restore(directory, force=force)
        except BackupError as exc:
            log.error("restore refused: %s", exc.detail)
            raise CommandError(exc.message) from exc
        except DatabaseError as exc:
            log.error("restore failed: database error: %s", exc)
            raise CommandError(f"连接或写入数据库失败：{exc}") from exc
        except OSError as exc:
            log.error("restore failed: %s", exc)
            raise CommandError(f"读写文件失败：{exc.strerror or exc}（{exc.filename}）") from exc
        manifest = restored.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"已恢复 {directory}（{manifest['created']} 由微智 {manifest['weizhi']} 备份）。"
            )
        )
        for note in restored.notes:
            self.stdout.write(note)
        if manifest.get("secret_key_from_environment") or envstr("SECRET_KEY"):
            self.stdout.write(
                "SECRET_KEY 来自环境变量：请在新环境中设置与原实例相同的 SECRET_KEY，"
                "否则已登录的用户需要重新登录，已发出的绑定链接失效。"
            )
        if migrate:
            call_command("migrate", interactive=False, verbosity=options["verbosity"])
        elif restored.pending_migrations:
            self.stdout.write(
                f"备份来自较旧的版本，还有 {len(restored.pending_migrations)} 个迁移未执行："
                "启动服务前请运行 manage.py migrate。"
            )
        if settings.REDIS_URL:
            self.stdout.write(
                "Redis 中的缓存、待写入的阅读计数和任务队列属于被替换的数据；"
                "若覆盖了在用的实例，且该 Redis 库只供微智使用，请在启动服务前清空它。"
            )
        self.stdout.write("请重新启动所有微智进程（网站、任务进程、调度进程）。")
