"""A counter that every process can read cheaply and any process can bump.

Used to tell in-process caches (cached pages, reply rules, account settings) that what they
hold is stale: a file's mtime in embedded mode, a key in Redis when scaled. Reading it is one
stat() call or one Redis GET, cheap enough for every request.
"""

import functools
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")


@functools.cache
def _path(var_dir: str, name: str) -> str:
    return str(Path(var_dir) / f"{name}.generation")


class Generation:
    def __init__(self, name: str) -> None:
        self.name = name
        self.key = f"{name}:generation"
        self._seen: tuple[float, str] | None = None  # (when read, value), for max_age

    def path(self) -> str:
        """The file whose mtime is the embedded mode's generation."""
        return _path(str(settings.VAR_DIR), self.name)

    def current(self, max_age: float = 0.0) -> str:
        """The generation now; with max_age, a value this process read at most that many
        seconds ago will do (it saves a Redis round trip, or a stat() that lets another
        thread take the GIL, per call on hot paths)."""
        seen = self._seen
        now = time.monotonic()
        if max_age and seen is not None and now - seen[0] < max_age:
            return seen[1]
        if settings.REDIS_URL:
            value = str(cache.get_or_set(self.key, lambda: secrets.token_hex(4), None))
        else:
            try:
                value = str(os.stat(self.path()).st_mtime_ns)
            except FileNotFoundError:
                value = "0"
        self._seen = (now, value)
        return value

    def bump(self) -> None:
        """Make every process see a new generation."""
        self._seen = None
        if settings.REDIS_URL:
            cache.set(self.key, secrets.token_hex(4), None)
            return
        path = self.path()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()
        # Two bumps within the file system's timestamp resolution must still differ.
        stamp = time.time_ns()
        os.utime(path, ns=(stamp, stamp))


class HeldByGeneration(Generic[T]):
    """A value loaded once per process and loaded again when any of its generations moves:
    what the callback keeps in memory (account settings, compiled reply rules)."""

    def __init__(
        self, load: Callable[[], T], generations: Sequence[Generation], max_age: float = 0.0
    ) -> None:
        self._load = load
        self._generations = generations
        self._max_age = max_age
        self._lock = threading.Lock()
        self._held: tuple[str, T] | None = None

    def get(self) -> T:
        generation = "/".join(g.current(max_age=self._max_age) for g in self._generations)
        held = self._held
        if held is not None and held[0] == generation:
            return held[1]
        with self._lock:
            value = self._load()
            self._held = (generation, value)
            return value

    def forget(self) -> None:
        """Drop this process's copy; the next get() reads the generations and loads it again."""
        self._held = None
        for generation in self._generations:
            generation._seen = None
