import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from weizhi.env import envstr


def first_password_file() -> Path:
    """Where the generated first password waits for `serve`'s banner, readable by the owner
    only, until the administrator changes it (the banner then deletes the file)."""
    return Path(settings.VAR_DIR) / "first_admin_password"


class Command(BaseCommand):
    help = "Create the first administrator if there is none, and print its password once."

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(
                "管理员账号已存在（初始密码只在首次运行时显示；"
                "可用 manage.py changepassword admin 重设）。"
            )
            return
        username = envstr("ADMIN_USERNAME", "admin")
        password = envstr("ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user = User.objects.create_superuser(
            username=username, email="", password=password, first_name="管理员"
        )
        user.groups.add(*Group.objects.filter(name="管理员"))
        if not envstr("ADMIN_PASSWORD"):
            path = first_password_file()
            path.touch(mode=0o600)
            path.chmod(0o600)
            path.write_text(f"{username}\n{password}\n")
        self.stdout.write(self.style.SUCCESS(f"已创建管理员账号：{username}  密码：{password}"))
        self.stdout.write("请登录后立即修改密码；在您修改之前，make run 的启动横幅也会显示它。")
