#!/usr/bin/env python3
"""How many quiz hand-ins a second weizhi stores through its production server, and how long
the slowest wait.

    .venv/bin/python bench/quiz.py [--members 2000] [--connections 64]
    DATABASE_URL=postgres://… .venv/bin/python bench/quiz.py   # the same on PostgreSQL

A throw-away instance in a temp dir (SQLite in WAL mode as in embedded mode, unless
DATABASE_URL names a PostgreSQL database, whose bench rows are removed afterwards) gets
``--members`` roster members, a bank of eight questions and a 自测一分钟 of three; each member
starts an attempt and has a signed-in session. The instance is then served as `manage.py
serve` serves it (granian's RSGI interface, weizhi.rsgi, 2 workers x 4 threads by default),
and ``--connections`` keep-alive connections hand in every attempt at once, as the members of
a branch do at the end of a meeting: one POST of the hand-in form per member, with their
session cookie, CSRF token and three answers, through the whole request path (granian,
middleware, the member's session, the view, the services). A hand-in stores three answers,
marks them, finishes the attempt, awards its points and records the activity event, in one
transaction. The requests are built before the clock starts; the client is a small asyncio
loop whose CPU is printed beside the server's.

Afterwards every attempt must be finished with its three answers and one points award, and
every answer a redirect to its result page: the run fails otherwise. The baseline, measured in
the same run by the same client and server: as many GETs of /healthz (a request through
Django that reads the database and the cache), the floor of any request that reaches the
application. Results go to bench/out/quiz-<time>.json.
"""

import argparse
import asyncio
import itertools
import json
import os
import secrets
import string
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from processes import (  # noqa: E402 — bench/ is this script's directory, not a package
    HOST,
    BenchError,
    cpu_snapshot,
    cpu_use,
    free_port,
    spawn,
    stop,
    tail,
    wait_ready,
)

CSRF_CHARS = string.ascii_letters + string.digits


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


def setup(members: int):
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from weizhi.audience import identity
    from weizhi.audience.models import Branch, Member
    from weizhi.quiz import services
    from weizhi.quiz.models import Activity, Question

    branch = Branch.objects.create(name="压测党支部", kind="branch")
    stamp = datetime.now().strftime("%H%M%S")
    Member.objects.bulk_create(
        Member(name=f"压测{i}", employee_number=f"Q{stamp}{i:05d}", branch=branch, status="full",
               password="x")
        for i in range(members)
    )  # fmt: skip
    people = list(Member.objects.filter(branch=branch).order_by("pk"))
    for i in range(8):
        Question.objects.create(
            kind="judge", stem=f"压测题 {stamp} {i}", answer="对" if i % 2 else "错",
            category="压测",
        )  # fmt: skip
    activity = Activity.objects.create(
        title="压测自测", question_count=3, time_limit=3600, category="压测", attempts_per_day=9
    )
    answers = dict(Question.objects.filter(category="压测").values_list("pk", "answer"))
    jobs = []
    for person in people:
        attempt = services.start(activity, person)
        session = SessionStore()
        session[identity.SESSION_MEMBER_KEY] = person.pk
        session[identity.SESSION_MEMBER_HASH] = identity._password_digest(person)
        session.save()
        form = {f"q{q}": answers[q] for q in attempt.question_ids()}
        jobs.append((session.session_key, attempt.pk, form))
    connection.close()
    return branch, activity, jobs


def hand_in_request(port: int, session_key: str, attempt_id: int, form: dict) -> bytes:
    """The raw POST a phone sends: the session cookie, a CSRF cookie and the same token in
    the form (Django takes an unmasked 32-character token), the three answers."""
    from django.conf import settings

    token = "".join(secrets.choice(CSRF_CHARS) for _ in range(32))
    body = urlencode({"csrfmiddlewaretoken": token, **form}).encode()
    head = (
        f"POST /quiz/attempt/{attempt_id}/finish/ HTTP/1.1\r\n"
        f"Host: {HOST}:{port}\r\n"
        f"Cookie: {settings.SESSION_COOKIE_NAME}={session_key}; "
        f"{settings.CSRF_COOKIE_NAME}={token}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    headers = head.lower()
    location = b""
    length = 0
    for line in headers.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name == b"content-length":
            length = int(value)
        elif name == b"location":
            location = value.strip()
    if b"transfer-encoding: chunked" in headers:
        while True:
            size = int((await reader.readline()).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status, location


async def _send_all(port: int, requests: list[bytes], connections: int):
    results: list[tuple[int, bytes] | None] = [None] * len(requests)
    latencies: list[float] = []
    counter = itertools.count()

    async def one_connection() -> None:
        reader = writer = None
        while (i := next(counter)) < len(requests):
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port)
            began = time.perf_counter()
            writer.write(requests[i])
            try:
                results[i] = await _read_response(reader)
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                results[i] = (0, repr(error).encode())
                writer.close()
                reader = writer = None
                continue
            latencies.append(time.perf_counter() - began)
        if writer is not None:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(one_connection() for _ in range(connections)))
    return time.perf_counter() - began, latencies, results


def send_all(port: int, requests: list[bytes], connections: int, server_pid: int) -> dict:
    cpu_before, client_before = cpu_snapshot(server_pid), time.process_time()
    took, latencies, results = asyncio.run(_send_all(port, requests, connections))
    cpu = cpu_use(cpu_before, cpu_snapshot(server_pid), len(requests))
    client = time.process_time() - client_before
    cpu["client_cores"] = client / took
    cpu["other_cores"] = max(0.0, cpu["other_cores"] - cpu["client_cores"])
    return {
        "per_second": len(latencies) / took,
        "p50_ms": percentile(latencies, 0.5) * 1000 if latencies else 0.0,
        "p99_ms": percentile(latencies, 0.99) * 1000 if latencies else 0.0,
        "max_ms": max(latencies, default=0.0) * 1000,
        "cpu": cpu,
        "results": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="wz-bench-quiz-")
    os.environ["WEIZHI_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhi.settings")
    os.environ.setdefault("SECRET_KEY", "bench-quiz-" + secrets.token_urlsafe(40))
    server_env = {**os.environ, "ACCESS_LOG_LEVEL": "WARNING", "WEB_THREADS": str(args.threads)}
    os.environ.setdefault("TASKS_BACKEND", "immediate")  # the setup only; the server as served
    print(f"setting up {args.members} members …", flush=True)
    branch, activity, jobs = setup(args.members)
    from django.db import connection

    from weizhi.points.models import Entry
    from weizhi.quiz.models import Answer, Attempt

    port = free_port()
    log = Path(var) / "server.log"
    cmd = [
        sys.executable, "-m", "weizhi.core.granian_main", "--interface", "rsgi",
        "--host", HOST, "--port", str(port), "--workers", str(args.workers),
        "--no-access-log", "weizhi.rsgi:application",
    ]  # fmt: skip
    server = spawn(cmd, log, env=server_env, cwd=ROOT)
    try:
        wait_ready(server, f"http://{HOST}:{port}/healthz", log)
        health = f"GET /healthz HTTP/1.1\r\nHost: {HOST}:{port}\r\n\r\n".encode()
        send_all(port, [health] * 200, args.connections, server.pid)  # warm every thread up
        floor = send_all(port, [health] * len(jobs), args.connections, server.pid)
        requests = [hand_in_request(port, *job) for job in jobs]
        run = send_all(port, requests, args.connections, server.pid)
    except BenchError as error:
        print(f"FAILED: {error}")
        return 1
    finally:
        stop(server)
    wrong = [
        (job[1], result)
        for job, result in zip(jobs, run["results"], strict=True)
        if result != (302, f"/quiz/attempt/{job[1]}/result/".encode())
    ]
    floor_bad = sum(1 for status, _ in floor["results"] if status not in (200, 503))
    attempts = Attempt.objects.filter(activity=activity)
    finished = attempts.filter(finished_at__isnull=False).count()
    answers = Answer.objects.filter(attempt__activity=activity).count()
    awards = Entry.objects.filter(action="quiz_finish", member__branch=branch).count()
    ok = (
        not wrong
        and not floor_bad
        and finished == len(jobs)
        and answers == 3 * len(jobs)
        and awards == len(jobs)
        and attempts.filter(correct_count=3).count() == len(jobs)
    )
    cpu = run["cpu"]
    result = {
        "database": connection.vendor,
        "members": len(jobs),
        "connections": args.connections,
        "workers": args.workers,
        "threads": args.threads,
        "hand_ins_per_second": round(run["per_second"], 1),
        "p50_ms": round(run["p50_ms"], 1),
        "p99_ms": round(run["p99_ms"], 1),
        "max_ms": round(run["max_ms"], 1),
        "server_cpu_ms_per_hand_in": round(cpu["server_us_per_request"] / 1000, 2),
        "server_cores": round(cpu["server_cores"], 2),
        "client_cores": round(cpu["client_cores"], 2),
        "other_cores": round(cpu["other_cores"], 2),
        "idle_cores": round(cpu["idle_cores"], 2),
        "baseline_requests_per_second": round(floor["per_second"], 1),
        "baseline_p99_ms": round(floor["p99_ms"], 1),
        "finished": finished,
        "answers": answers,
        "awards": awards,
        "wrong_answers": [f"attempt {pk}: {r!r}" for pk, r in wrong[:5]],
        "ok": ok,
    }
    result["ratio_to_baseline"] = round(
        result["hand_ins_per_second"] / result["baseline_requests_per_second"], 3
    )
    if connection.vendor != "sqlite":  # a shared database: leave nothing behind
        Attempt.objects.filter(activity=activity).delete()
        Entry.objects.filter(member__branch=branch).delete()
        activity.delete()
        from weizhi.audience.models import Member
        from weizhi.quiz.models import Question

        Question.objects.filter(category="压测").delete()
        Member.objects.filter(branch=branch).delete()
        branch.delete()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"quiz-{datetime.now():%Y%m%d-%H%M%S}.json").write_text(json.dumps(result, indent=2))
    print(
        f"{result['database']}: {result['hand_ins_per_second']} hand-ins/s "
        f"(p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, max {result['max_ms']} ms; "
        f"{args.connections} connections, {args.workers} workers x {args.threads} threads)\n"
        f"  server {result['server_cpu_ms_per_hand_in']} ms CPU a hand-in, "
        f"{result['server_cores']} cores; client {result['client_cores']}, "
        f"other {result['other_cores']}, idle {result['idle_cores']}\n"
        f"  baseline GET /healthz {result['baseline_requests_per_second']}/s "
        f"(p99 {result['baseline_p99_ms']} ms); ratio {result['ratio_to_baseline']}"
    )
    print(f"stored: {finished} finished, {answers} answers, {awards} awards — "
          + ("all counted once" if ok else f"WRONG {result['wrong_answers']}"))  # fmt: skip
    if not ok:
        print(tail(log))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
