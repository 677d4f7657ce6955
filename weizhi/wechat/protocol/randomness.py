"""Random bytes from the operating system's CSPRNG, read a page at a time.

Each message's answer needs fresh randomness (the 16-byte prefix of the encrypted reply, its
nonce). os.urandom() is a system call that lets go of the GIL, and under load a thread that
lets go of it waits up to a switch interval (5 ms) to get it back; a page of 4 KiB serves
about 170 messages from one call. Bytes are handed out once and never again, and a forked
child never uses its parent's page.
"""

import os
import threading

PAGE = 4096


class RandomPool:
    def __init__(self, page: int = PAGE) -> None:
        self._page = page
        self._lock = threading.Lock()
        self._buffer = b""
        self._used = 0
        self._pid = os.getpid()
        os.register_at_fork(after_in_child=self._drop)

    def _drop(self) -> None:
        self._buffer, self._used = b"", 0

    def take(self, size: int) -> bytes:
        with self._lock:
            if self._pid != os.getpid():
                self._drop()
                self._pid = os.getpid()
            if self._used + size > len(self._buffer):
                self._buffer, self._used = os.urandom(max(self._page, size)), 0
            start = self._used
            self._used += size
            return self._buffer[start : self._used]

    def below(self, bound: int) -> int:
        """A uniform integer in [0, bound)."""
        if bound <= 0:
            raise ValueError("bound must be positive")
        size = (bound.bit_length() + 7) // 8 + 8  # 64 extra bits make the bias negligible
        return int.from_bytes(self.take(size), "big") % bound


random_pool = RandomPool()
