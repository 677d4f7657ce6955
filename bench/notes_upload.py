#!/usr/bin/env python3
"""Twenty members hand in nine 8 MB photos each, at once, to 动笔走心 through a real server.

    .venv/bin/python bench/notes_upload.py [--members 20] [--photos 9] [--workers 2]
                                           [--server-env MALLOC_ARENA_MAX=2]

Builds a throw-away embedded-mode instance (SQLite) in a temp dir, makes --members roster
members with a signed-in session each, and serves it as ``manage.py serve`` starts its web
part (granian's RSGI interface, weizhi.rsgi, --workers processes of WEB_THREADS threads). One
noisy 12-megapixel JPEG of 8 MB is written to disk; every member's client fetches the note
form (its CSRF token), then all are released together and POST it with that photo nine
times (streamed from the file).

Two waves on the same server. First the bodies alone: the reflection is too short, so Django
parses the whole form (every photo spooled to disk) and refuses it before any photo is
decoded. Then the real notes: 180 photos checked, decoded, resized and stored. For each wave
the RSS of the granian process tree is sampled from /proc (idle just before, peak during),
and so are the bytes in the server's TMPDIR, where the bodies go (bodyfirst spools a body
over 1 MB; the notes view's CappedTemporaryFileUploadHandler spools each photo).
Results go to bench/out/notes-upload-<time>.json.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx
from processes import HOST, MemorySampler, free_port, run, spawn, stop, stop_all, wait_ready

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
STRIPPED_ENV = {"DEBUG", "DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "MEDIA_ROOT", "TMPDIR"}

SETUP = """
import json
from django.contrib.sessions.backends.db import SessionStore
from weizhi.audience import identity
from weizhi.audience.models import Branch, Member
branch = Branch.objects.create(name="压测党支部", kind="branch")
keys = []
for i in range({members}):
    person = Member.objects.create(
        name=f"压测{{i}}", employee_number=f"N{{i:05d}}", branch=branch, status="full", password="x"
    )
    session = SessionStore()
    session[identity.SESSION_MEMBER_KEY] = person.pk
    session[identity.SESSION_MEMBER_HASH] = identity._password_digest(person)
    session.save()
    keys.append(session.session_key)
print(json.dumps(keys))
"""
REFLECTION = "学习党章的体会：坚持党的领导，严守党的纪律。"
COUNT = """
from weizhi.notes.models import Note, NoteImage
print(Note.objects.count(), NoteImage.objects.count())
"""


def env_for(var_dir: Path, tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
    env.update(
        WEIZHI_VAR_DIR=str(var_dir), ACCESS_LOG_LEVEL="WARNING", TMPDIR=str(tmp),
        TASKS_BACKEND="immediate", **extra,
    )  # fmt: skip
    return env


def make_photo(path: Path) -> int:
    from PIL import Image

    noise = Image.frombytes("RGB", (4000, 3000), os.urandom(4000 * 3000 * 3))
    noise.save(path, "JPEG", quality=80)
    return path.stat().st_size


def dir_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                total += os.stat(os.path.join(root, name)).st_size
    return total


class DiskSampler(threading.Thread):
    def __init__(self, path: Path, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.path, self.interval, self.peak = path, interval, 0
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.is_set():
            self.peak = max(self.peak, dir_bytes(self.path))
            self._stopping.wait(self.interval)

    def finish(self) -> None:
        self._stopping.set()
        self.join()


def member_upload(
    base: str, key: str, photo: Path, photos: int, reflection: str, start: threading.Event
) -> dict:
    with httpx.Client(base_url=base, timeout=900) as client:
        client.cookies.set("sessionid", key)
        form = client.get("/notes/write/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if form.status_code != 200 or token is None:
            return {"status": form.status_code, "error": "no form"}
        start.wait()
        handles = [photo.open("rb") for _ in range(photos)]
        began = time.monotonic()
        try:
            files = [("photos", (f"p{n}.jpg", h, "image/jpeg")) for n, h in enumerate(handles)]
            data = {"csrfmiddlewaretoken": token.group(1), "reflection": reflection}
            answer = client.post(
                "/notes/write/", data=data, files=files, headers={"Referer": base + "/notes/write/"}
            )
        finally:
            for h in handles:
                h.close()
        return {"status": answer.status_code, "seconds": round(time.monotonic() - began, 1)}


def wave(
    base: str, keys: list[str], photo: Path, photos: int, reflection: str, pid: int, tmp: Path
) -> dict:
    """Every member's upload at once; the server tree's peak RSS and temporary bytes."""
    start = threading.Event()
    results: list[dict] = [{} for _ in keys]

    def go(n: int) -> None:
        try:
            results[n] = member_upload(base, keys[n], photo, photos, reflection, start)
        except Exception as error:
            results[n] = {"status": 0, "error": repr(error)}

    threads = [threading.Thread(target=go, args=(n,)) for n in range(len(keys))]
    for t in threads:
        t.start()
    time.sleep(3)  # every client has fetched its form
    idle = MemorySampler(pid)
    idle.sample()
    sampler, disk = MemorySampler(pid, interval=0.1), DiskSampler(tmp)
    sampler.start()
    disk.start()
    began = time.monotonic()
    start.set()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    sampler.finish()
    disk.finish()
    statuses: dict[str, int] = {}
    for r in results:
        statuses[str(r.get("status"))] = statuses.get(str(r.get("status")), 0) + 1
    return {
        "idle_rss_mb": round(idle.peak_rss_kb / 1024),
        "peak_rss_mb": round(sampler.peak_rss_kb / 1024),
        "rise_mb": round((sampler.peak_rss_kb - idle.peak_rss_kb) / 1024),
        "peak_tmp_mb": round(disk.peak / 1e6),
        "wall_s": round(wall, 1),
        "statuses": statuses,
        "slowest_s": max((r.get("seconds", 0) for r in results), default=0),
        "errors": [r["error"] for r in results if "error" in r][:3],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--photos", type=int, default=9)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--server-env", action="append", default=[], metavar="NAME=VALUE",
        help="an environment variable for the server only (e.g. MALLOC_ARENA_MAX=2)",
    )  # fmt: skip
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="weizhi-notes-bench-"))
    var_dir, tmp = work / "var", work / "tmp"
    tmp.mkdir(parents=True)
    env = env_for(var_dir, tmp)
    manage = [sys.executable, str(ROOT / "manage.py")]
    server = None
    try:
        print("migrating a throw-away instance …", flush=True)
        run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, timeout=900)
        run([*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, timeout=900)
        out = run([*manage, "shell", "-c", SETUP.format(members=args.members)], env=env, cwd=ROOT)
        keys = json.loads(out.strip().splitlines()[-1])
        photo = work / "photo.jpg"
        size = make_photo(photo)
        print(f"photo: {size / 1e6:.1f} MB, 4000×3000 JPEG", flush=True)

        port = args.port or free_port()
        cmd = [
            sys.executable, "-m", "weizhi.core.granian_main", "--interface", "rsgi",
            "--host", HOST, "--port", str(port), "--workers", str(args.workers),
            "--no-access-log", "weizhi.rsgi:application",
        ]  # fmt: skip
        log = work / "server.log"
        extra = dict(pair.split("=", 1) for pair in args.server_env)
        server_env = {**env, "WEB_THREADS": str(args.threads), **extra}
        server = spawn(cmd, log, env=server_env, cwd=ROOT)
        base = f"http://{HOST}:{port}"
        wait_ready(server, base + "/healthz", log)
        # First the bodies alone: a reflection too short is refused after Django has parsed
        # the whole form (every photo spooled to disk), before any photo is decoded.
        print("wave 1: bodies only …", flush=True)
        refused = wave(base, keys, photo, args.photos, "短", server.pid, tmp)
        print("wave 2: notes stored …", flush=True)
        stored = wave(base, keys, photo, args.photos, REFLECTION, server.pid, tmp)
        notes, images = run([*manage, "shell", "-c", COUNT], env=env, cwd=ROOT).split()[-2:]
    finally:
        if server is not None:
            stop(server)
        stop_all()

    report = {
        "members": len(keys),
        "photos_each": args.photos,
        "photo_mb": round(size / 1e6, 2),
        "body_bytes_in_flight_mb": round(len(keys) * args.photos * size / 1e6),
        "workers": args.workers,
        "threads": args.threads,
        "server_env": args.server_env,
        "bodies_only": refused,
        "stored": stored,
        "notes_stored": int(notes),
        "photos_stored": int(images),
    }
    for key, value in report.items():
        print(f"{key:>24}: {value}")
    OUT_DIR.mkdir(exist_ok=True)
    out_file = OUT_DIR / f"notes-upload-{datetime.now():%Y%m%d-%H%M%S}.json"
    out_file.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"written to {out_file}")
    shutil.rmtree(work, ignore_errors=True)
    ok = (
        refused["statuses"] == {"400": len(keys)}
        and stored["statuses"] == {"302": len(keys)}
        and int(images) == len(keys) * args.photos
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
