"""Users in the roles the office actually has, made through the real groups; coroutines and
processes of their own for the tests that need them."""

import os
import subprocess
import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

ROOT = Path(__file__).resolve().parents[1]
MANAGE_PY = str(ROOT / "manage.py")


def user_in(group_name: str, username: str | None = None):
    User = get_user_model()
    user = User.objects.create_user(
        username=username or f"u-{group_name}", password="p4ssw0rd-测试", first_name=group_name
    )
    user.groups.add(Group.objects.get(name=group_name))
    return user


def superuser(username: str = "root"):
    return get_user_model().objects.create_superuser(username=username, password="p4ssw0rd-测试")


def run_coroutine(coroutine):
    """asyncio.run on a thread of its own: the browser tests' Playwright leaves an event loop
    running on the main thread, where asyncio.run refuses to start another."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def embedded_env(var_dir: Path, *, drop: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """This process's environment for another on the embedded instance in var_dir: without the
    scaled mode's database and Redis (and the variables in drop), with extra added."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", *drop}}
    env.update(WEIZHI_VAR_DIR=str(var_dir), **extra)
    return env


def python_process(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """This Python with these arguments (MANAGE_PY and a command, say) in a process of its
    own, in the checkout, its output captured as text."""
    return subprocess.Popen(
        [sys.executable, *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def output_of(process: subprocess.Popen, timeout: float = 120) -> str:
    """The standard output of a python_process, once it has ended well (killed after
    timeout seconds)."""
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    assert process.returncode == 0, err[-3000:]
    return out
