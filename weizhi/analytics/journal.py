"""Append-only journals of the reads a web process answered and has not written yet.

Before a read is answered, the process appends one line for it to its own journal file
under ``var/reads/``, with one ``os.write`` to an ``O_APPEND`` descriptor. Nothing is
fsynced: the page cache outlives a crashed process (not a crashed machine), which is the
failure this guards against. Once the counts a journal holds are committed, it is removed.

A process holds an exclusive ``flock`` on every journal it owns until the journal is
removed, so a journal file nobody holds a lock on was left by a process that died, and any
process may claim it and write its counts (a replay). The caller records the journal's name
in the same transaction as its counts, which makes a replay after a crash between that
commit and the removal a no-op instead of a second count. No Django here.
"""

import fcntl
import logging
import os
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".reads"
Reads = Counter  # (page_id, day) -> count
Visitors = set  # {(page_id, day, reader)}
# (page_id, day, tag) -> count; tags: "w" a read inside WeChat, "s" a share, "b<id>" a read
# by a signed-in member of branch <id>.
Tallies = Counter


def line(
    page_id: int, day: date, reads: int, reader: str | None, tags: tuple[str, ...] = ()
) -> bytes:
    """One journal line: a read (reads=1), a visitor seen (reader), or both, with the tags
    that read counts under (a fifth field; lines of older versions have four)."""
    tail = b" " + ",".join(tags).encode() if tags else b""
    return b"%d %d %d %s%s\n" % (page_id, day.toordinal(), reads, (reader or "-").encode(), tail)


def valid_tag(tag: str) -> bool:
    return tag in ("w", "s") or (tag[:1] == "b" and tag[1:].isdigit())


class JournalFile:
    """A journal file this process holds the lock on."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.name = path.name
        self.fd = fd

    @classmethod
    def create(cls, directory: Path) -> "JournalFile":
        directory.mkdir(parents=True, exist_ok=True)
        # The time in the name is the journal's first read (health reports its age).
        path = directory / f"{os.getpid()}-{int(time.time())}-{secrets.token_hex(8)}{SUFFIX}"
        # Locked under a name no one looks for, then renamed: a claimer never sees it unlocked.
        fresh = path.with_suffix(".new")
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        fd = os.open(fresh, flags, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(fresh, path)
        except BaseException:
            os.close(fd)
            fresh.unlink(missing_ok=True)
            raise
        return cls(path, fd)

    @classmethod
    def claim(cls, path: Path) -> "JournalFile | None":
        """The journal at path, locked, if its process is gone; None while one holds it."""
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # Whoever held it last may have removed it meanwhile: the lock is then on a file
            # that no longer has this name, and its counts are written already.
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return cls(path, fd)
        except (BlockingIOError, FileNotFoundError):
            pass
        os.close(fd)
        return None

    def append(self, data: bytes) -> None:
        os.write(self.fd, data)

    def counts(self) -> tuple[Reads, Visitors, Tallies]:
        """What the journal holds, summed; a torn or malformed line is skipped and logged."""
        with open(self.fd, "rb", closefd=False) as f:
            f.seek(0)
            data = f.read()
        reads: Reads = Counter()
        visitors: Visitors = set()
        tallies: Tallies = Counter()
        lines = data.split(b"\n")
        bad = 0 if lines[-1] == b"" else 1  # a last line without its newline was cut short
        for raw in lines[:-1]:
            try:
                page, ordinal, n, reader, *tags = raw.split(b" ")
                key, day = int(page), date.fromordinal(int(ordinal))
                count = int(n)
                names = tags[0].decode("ascii").split(",") if tags else []
                if len(tags) > 1 or not all(map(valid_tag, names)):
                    raise ValueError(raw)
            except ValueError:
                bad += 1
                continue
            if count:
                reads[(key, day)] += count
            if reader != b"-":
                visitors.add((key, day, reader.decode("ascii", "replace")))
            for tag in names:
                tallies[(key, day, tag)] += 1
        if bad:
            log.warning("read journal %s: %d unreadable line(s) skipped", self.name, bad)
        return reads, visitors, tallies

    def remove(self) -> None:
        """Delete the file, then let go of the lock (the order a claimer relies on)."""
        self.path.unlink(missing_ok=True)
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def orphans(directory: Path) -> Iterator[JournalFile]:
    """Claim, one at a time, the journals that processes which died left in directory.

    A live process's journals stay locked, this process's own included (flock locks belong
    to the open file, not to the process)."""
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        journal = JournalFile.claim(path)
        if journal is not None:
            yield journal


def created_at(path: Path) -> float:
    """When the journal was made, which is when its first read came: from its name, or its
    last write for a journal named before names carried the time."""
    parts = path.name.removesuffix(SUFFIX).split("-")
    if len(parts) == 3 and parts[1].isdigit():
        return float(parts[1])
    return path.stat().st_mtime


READS_FIELD = re.compile(rb"^\d+ \d+ (\d+) ", re.MULTILINE)


def waiting(directory: Path) -> tuple[int, float | None]:
    """The reads in every journal in directory, of live processes and of dead ones, and when
    the oldest journal was made (None without journals). Reads without taking any lock."""
    reads, oldest = 0, None
    for path in directory.glob(f"*{SUFFIX}"):
        try:
            data = path.read_bytes()
            made = created_at(path)
        except FileNotFoundError:  # written and removed meanwhile
            continue
        complete = data[: data.rfind(b"\n") + 1]
        reads += sum(int(n) for n in READS_FIELD.findall(complete))
        oldest = made if oldest is None else min(oldest, made)
    return reads, oldest
