"""A counter that every process can read cheaply and any process can bump.

Used to tell in-process caches (cached pages, reply rules, account settings) that what they
hold is stale: a file's mtime in embedded mode, a key in Redis when scaled. Reading it is one
stat() call or one Redis GET, cheap enough for every request.
"""

import functools
import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache


@functools.cache
def _path(var_dir: str, name: str) -> str:
    return str(Path(var_dir) / f"{name}.generation")


class Generation:
    def __init__(self, name: str) -> None:
        self.name = name
        self.key = f"{name}:generation"

    def path(self) -> str:
        """The file whose mtime is the embedded mode's generation."""
        return _path(str(settings.VAR_DIR), self.name)

    def current(self) -> str:
        if settings.REDIS_URL:
            return str(cache.get_or_set(self.key, lambda: secrets.token_hex(4), None))
        try:
            return str(os.stat(self.path()).st_mtime_ns)
        except FileNotFoundError:
            return "0"

    def bump(self) -> None:
        """Make every process see a new generation."""
        if settings.REDIS_URL:
            cache.set(self.key, secrets.token_hex(4), None)
            return
        path = self.path()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()
        # Two bumps within the file system's timestamp resolution must still differ.
        stamp = time.time_ns()
        os.utime(path, ns=(stamp, stamp))
