#!/usr/bin/env python3
"""How many quiz hand-ins a second weizhi stores, and how long the slowest wait.

    .venv/bin/python bench/quiz.py [--members 1000] [--threads 8]
    DATABASE_URL=postgres://… .venv/bin/python bench/quiz.py   # the same on PostgreSQL

A throw-away instance in a temp dir (SQLite in WAL mode as in embedded mode, unless
DATABASE_URL names a PostgreSQL database, whose quiz rows are removed afterwards) gets
``--members`` roster members, a bank of eight questions and a 自测一分钟 of three; each
member starts an attempt. Then ``--threads`` threads hand in every attempt at once, as the
members of a branch do at the end of a meeting: one POST of the hand-in form per member,
carrying their three answers, through Django's whole request path (middleware, the member's
session, the view, the services), in process — no HTTP server, so this measures the
application and the database, not granian. A submission stores three answers, marks them,
finishes the attempt and awards its points, in one transaction.

Afterwards every attempt must be finished with its three answers and one points award:
the run fails otherwise. The baseline, measured in the same run with the same threads and
database: one-row INSERT transactions into a scratch table, the floor of any write that
commits. Results go to bench/out/quiz-<time>.json.
"""

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def run_threads(threads: int, work) -> tuple[float, list[float], list[BaseException]]:
    from django.db import connection

    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        mine = []
        try:
            for item in work[n::threads]:
                began = time.perf_counter()
                item()
                mine.append(time.perf_counter() - began)
        except BaseException as exc:  # reported by the caller
            errors.append(exc)
        finally:
            connection.close()
            with lock:
                latencies.extend(mine)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return time.perf_counter() - began, latencies, errors


def insert_floor(table: str, count: int, threads: int):
    """The baseline measured in the same run: `count` one-row inserts into a scratch table,
    each in its own transaction, by the same threads (run_threads' result)."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {table} (id integer, note text)")
    connection.close()

    def insert(i: int):
        def go() -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {table} VALUES (%s, %s)", [i, "x"])

        return go

    return run_threads(threads, [insert(i) for i in range(count)])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="wz-bench-quiz-")
    os.environ["WEIZHI_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhi.settings")
    os.environ.setdefault("SECRET_KEY", "bench-quiz-" + "x" * 50)
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    sys.path.insert(0, str(ROOT))
    print(f"setting up {args.members} members …", flush=True)
    branch, activity, jobs = setup(args.members)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from weizhi.points.models import Entry
    from weizhi.quiz.models import Answer, Attempt

    clients = threading.local()

    def hand_in(session_key: str, attempt_id: int, form: dict):
        def go() -> None:
            # One client per thread, as a server loads its middleware once per process
            # (a new test client would load the whole stack again for every hand-in).
            if not hasattr(clients, "client"):
                clients.client = Client()
            client = clients.client
            client.cookies[settings.SESSION_COOKIE_NAME] = session_key
            response = client.post(f"/quiz/attempt/{attempt_id}/finish/", form)
            if response.status_code != 302:
                raise RuntimeError(f"hand-in answered {response.status_code}")

        return go

    floor_time, floor_lat, floor_err = insert_floor("bench_quiz_floor", len(jobs), args.threads)
    cpu = time.process_time()
    took, latencies, errors = run_threads(args.threads, [hand_in(*job) for job in jobs])
    cpu = time.process_time() - cpu
    attempts = Attempt.objects.filter(activity=activity)
    finished = attempts.filter(finished_at__isnull=False).count()
    answers = Answer.objects.filter(attempt__activity=activity).count()
    awards = Entry.objects.filter(action="quiz_finish", member__branch=branch).count()
    ok = (
        not errors
        and finished == len(jobs)
        and answers == 3 * len(jobs)
        and awards == len(jobs)
        and attempts.filter(correct_count=3).count() == len(jobs)
    )
    result = {
        "database": connection.vendor,
        "members": len(jobs),
        "threads": args.threads,
        "hand_ins_per_second": round(len(latencies) / took, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        # The process's CPU time over the hand-ins (SQLite's work included, PostgreSQL's
        # not): what one core could do, whatever else the machine was running.
        "cpu_ms_per_hand_in": round(cpu / max(1, len(latencies)) * 1000, 2),
        "baseline_inserts_per_second": round(len(floor_lat) / floor_time, 1),
        "baseline_p99_ms": round(percentile(floor_lat, 0.99) * 1000, 1),
        "finished": finished,
        "answers": answers,
        "awards": awards,
        "errors": [repr(e) for e in (errors + floor_err)[:5]],
        "ok": ok,
    }
    result["ratio_to_baseline"] = round(
        result["hand_ins_per_second"] / result["baseline_inserts_per_second"], 3
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_quiz_floor")
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
        f"(p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, {args.threads} threads, "
        f"{result['cpu_ms_per_hand_in']} ms CPU each); "
        f"baseline one-row inserts {result['baseline_inserts_per_second']}/s "
        f"(p99 {result['baseline_p99_ms']} ms); ratio {result['ratio_to_baseline']}"
    )
    print(f"stored: {finished} finished, {answers} answers, {awards} awards — "
          + ("all counted once" if ok else f"WRONG {result['errors']}"))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
