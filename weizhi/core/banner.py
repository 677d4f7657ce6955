"""The few lines `serve` prints once the site answers: where to go and how to sign in."""

import contextlib
import socket
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

WILDCARDS = ("0.0.0.0", "::", "")  # noqa: S104 - names to recognise, not to bind


def reachable_host(host: str) -> str:
    host = "127.0.0.1" if host in WILDCARDS else host.strip("[]")
    return f"[{host}]" if ":" in host else host


def answers(host: str, port: int) -> bool:
    """True once the web server answers a request for the home page (which also warms it)."""
    base = f"http://{reachable_host(host)}:{port}"
    try:
        with socket.create_connection((reachable_host(host).strip("[]"), port), timeout=0.5):
            pass
    except OSError:
        return False
    try:
        with urllib.request.urlopen(f"{base}/", timeout=20):  # noqa: S310 - our own address
            return True
    except urllib.error.HTTPError:
        return True  # an answer all the same
    except OSError:
        return False


def first_admin() -> tuple[str, str] | None:
    """The first administrator's name and generated password while it still works; the file
    that kept it is deleted once the password has been changed."""
    path = Path(settings.VAR_DIR) / "first_admin_password"
    try:
        username, password = path.read_text().split("\n")[:2]
    except (OSError, ValueError):
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None or not user.check_password(password):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return username, password


def banner(host: str, port: int) -> str:
    base = f"http://{reachable_host(host)}:{port}"
    admin = first_admin()
    if admin:
        who = f"管理员：{admin[0]}    初始密码：{admin[1]}（登录后请立即修改）"
    else:
        who = "管理员：admin（忘记密码：.venv/bin/python manage.py changepassword admin）"
    rule = "─" * 60
    return "\n".join(
        [
            rule,
            "微智已就绪（按 Ctrl-C 停止）",
            f"  阅读端：  {base}/",
            f"  管理后台：{base}/admin/",
            f"  {who}",
            rule,
        ]
    )
