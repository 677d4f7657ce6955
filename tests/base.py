"""Users in the roles the office actually has, made through the real groups."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group


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
