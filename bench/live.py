#!/usr/bin/env python3
"""现场竞答 with many phones: how many answers a second one session stores, and how soon the
big screen's poll shows the last of them.

    .venv/bin/python bench/live.py [--phones 200] [--questions 3] [--threads 8]
    DATABASE_URL=postgres://… .venv/bin/python bench/live.py   # the same on PostgreSQL

A throw-away instance in a temp dir (SQLite in WAL mode, as in embedded mode, unless
DATABASE_URL names a PostgreSQL database, whose rows are removed afterwards) gets
``--phones`` roster members, each signed in and seated in one live session. For each of
``--questions`` questions the host shows it, then ``--threads`` threads post every phone's
answer through Django's whole request path (middleware, the member's session, the view, the
service), in process — no HTTP server, so this measures the application and the database.
Every tenth phone sends its answer twice, as a retry on a weak network does. Meanwhile one
thread polls the screen's state every 50 ms (the page does every second: this measures when
the state shows an answer, to 50 ms) and one more a phone's state every 20 ms, so answers
are stored under polling load (less than 200 real phones' 200 polls/s: the report gives a
poll's cost, from which that load follows).

Screen-update latency: from the moment the last answer's response returned to the first
screen poll that counts it (the screen page polls once a second, so what a person sees is
within this plus one second). Afterwards every phone must hold exactly one answer per
question and the duplicates must have been refused: the run fails otherwise. The baseline,
in the same run with the same threads and database: one-row INSERT transactions into a
scratch table, the floor of any write that commits. Results go to bench/out/live-<time>.json.
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
sys.path.insert(0, str(ROOT / "bench"))
from quiz import insert_floor, percentile, run_threads  # noqa: E402  (the quiz bench's helpers)


def setup(phones: int, questions: int):
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection

    from weizhi.audience import identity
    from weizhi.audience.models import Branch, Member
    from weizhi.quiz import live, live_views
    from weizhi.quiz.models import Activity, Question

    stamp = datetime.now().strftime("%H%M%S")
    branch = Branch.objects.create(name=f"竞答压测党支部{stamp}", kind="branch")
    Member.objects.bulk_create(
        Member(name=f"竞答{i}", employee_number=f"L{stamp}{i:05d}", branch=branch, status="full",
               password="x")
        for i in range(phones)
    )  # fmt: skip
    for i in range(questions):
        Question.objects.create(
            kind="single", stem=f"竞答压测题 {stamp} {i}", options=["甲", "乙", "丙", "丁"],
            answer="B", category=f"竞答压测{stamp}",
        )  # fmt: skip
    activity = Activity.objects.create(
        title=f"竞答压测{stamp}", question_count=questions, category=f"竞答压测{stamp}"
    )
    host = get_user_model().objects.create_user(username=f"live-bench-{stamp}", password="x")
    host.groups.add(Group.objects.get(name="编辑"))
    session = live.open_session(host, activity, seconds=300)
    seats = []
    for person in Member.objects.filter(branch=branch).order_by("pk"):
        player = live.join_member(session, person)
        store = SessionStore()
        store[identity.SESSION_MEMBER_KEY] = person.pk
        store[identity.SESSION_MEMBER_HASH] = identity._password_digest(person)
        store[live_views.SEATS] = {str(session.pk): player.token}
        store.save()
        seats.append((store.session_key, player.token))
    connection.close()
    return branch, activity, host, session, seats


class Poller(threading.Thread):
    """Polls a state URL in a loop; remembers when ``answered`` first reached each count."""

    def __init__(self, client, url: str, watch: bool, pause: float) -> None:
        super().__init__(daemon=True)
        self.client, self.url, self.watch, self.pause = client, url, watch, pause
        self.stop = threading.Event()
        self.seen: dict[tuple[int, int], float] = {}
        self.durations: list[float] = []

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stop.is_set():
                began = time.perf_counter()
                body = self.client.get(self.url).json()
                now = time.perf_counter()
                self.durations.append(now - began)
                if self.watch:
                    self.seen.setdefault((body.get("index", -1), body.get("answered", 0)), now)
                self.stop.wait(self.pause)
        finally:
            connection.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    var = tempfile.mkdtemp(prefix="wz-bench-live-")
    os.environ["WEIZHI_VAR_DIR"] = var
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weizhi.settings")
    os.environ.setdefault("SECRET_KEY", "bench-live-" + "x" * 50)
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    sys.path.insert(0, str(ROOT))
    print(f"setting up {args.phones} phones in one session …", flush=True)
    branch, activity, host, session, seats = setup(args.phones, args.questions)
    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from weizhi.quiz import live
    from weizhi.quiz.models import LiveAnswer, LivePlayer, Question

    code = session.code
    refused: list[int] = []

    def answer(session_key: str, index: int, given: str, twice: bool):
        def go() -> None:
            client = Client()
            client.cookies[settings.SESSION_COOKIE_NAME] = session_key
            for n in range(2 if twice else 1):
                form = {"index": index, "given": given}
                response = client.post(f"/quiz/live/{code}/answer/", form)
                if n == 0 and response.status_code != 200:
                    raise RuntimeError(f"answer got {response.status_code}: {response.content!r}")
                if n == 1:
                    refused.append(response.status_code)

        return go

    floor_time, floor_lat, floor_err = insert_floor(
        "bench_live_floor", len(seats) * args.questions, args.threads
    )
    screen_client = Client()
    screen_client.force_login(host)
    screen = Poller(screen_client, f"/admin/quiz/live/{session.pk}/state/", watch=True, pause=0.05)
    phone_client = Client()
    phone_client.cookies[settings.SESSION_COOKIE_NAME] = seats[0][0]
    phone = Poller(phone_client, f"/quiz/live/{code}/state/", watch=False, pause=0.02)
    screen.start()
    phone.start()

    took_total, latencies, errors, screen_lags = 0.0, [], [], []
    for index in range(args.questions):
        session = live.step(session, "start" if index == 0 else "next", host)
        drawn = session.drawn[index]
        right = Question.objects.get(pk=drawn["q"]).answer
        given = "ABCD"[drawn["o"].index("ABCD".index(right))]
        jobs = [answer(key, index, given, n % 10 == 0) for n, (key, _t) in enumerate(seats)]
        took, lat, errs = run_threads(args.threads, jobs)
        done = time.perf_counter()  # the last answer's response has returned
        took_total += took
        latencies += lat
        errors += errs
        deadline = done + 10
        while (index, len(seats)) not in screen.seen and time.perf_counter() < deadline:
            time.sleep(0.005)
        seen = screen.seen.get((index, len(seats)))
        screen_lags.append(max(0.0, seen - done) if seen else float("inf"))
        session = live.step(session, "reveal", host)
    session = live.step(session, "next", host)  # the last: ends it
    screen.stop.set()
    phone.stop.set()
    screen.join()
    phone.join()

    stored = LiveAnswer.objects.filter(session=session).count()
    per_player = set(
        LivePlayer.objects.filter(session=session)
        .annotate(n=Count("answers"))
        .values_list("n", flat=True)
    )
    expected = len(seats) * args.questions
    ok = (
        not errors
        and stored == expected
        and per_player == {args.questions}
        and refused
        and all(code == 409 for code in refused)
        and session.phase == "ended"
        and all(lag < 1.0 for lag in screen_lags)
    )
    answered = len(latencies)
    result = {
        "database": connection.vendor,
        "phones": len(seats),
        "questions": args.questions,
        "threads": args.threads,
        "answers_per_second": round(answered / took_total, 1),
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "screen_update_ms": [round(lag * 1000, 1) for lag in screen_lags],
        "screen_poll_p99_ms": round(percentile(screen.durations, 0.99) * 1000, 1),
        "phone_poll_p99_ms": round(percentile(phone.durations, 0.99) * 1000, 1),
        "polls": len(screen.durations) + len(phone.durations),
        "baseline_inserts_per_second": round(len(floor_lat) / floor_time, 1),
        "baseline_p99_ms": round(percentile(floor_lat, 0.99) * 1000, 1),
        "answers_stored": stored,
        "duplicates_refused": len(refused),
        "errors": [repr(e) for e in (errors + floor_err)[:5]],
        "ok": bool(ok),
    }
    result["ratio_to_baseline"] = round(
        result["answers_per_second"] / result["baseline_inserts_per_second"], 3
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_live_floor")
    if connection.vendor != "sqlite":  # a shared database: leave nothing behind
        from weizhi.audience.models import Member
        from weizhi.points.models import Entry

        Entry.objects.filter(member__branch=branch).delete()
        activity.delete()
        Question.objects.filter(category=activity.category).delete()
        Member.objects.filter(branch=branch).delete()
        branch.delete()
        host.delete()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / f"live-{datetime.now():%Y%m%d-%H%M%S}.json").write_text(json.dumps(result, indent=2))
    print(
        f"{result['database']}: {result['answers_per_second']} answers/s "
        f"(p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, {args.threads} threads, "
        f"{len(seats)} phones); baseline one-row inserts {result['baseline_inserts_per_second']}/s "
        f"(p99 {result['baseline_p99_ms']} ms); ratio {result['ratio_to_baseline']}"
    )
    print(
        f"screen shows the last answer after {result['screen_update_ms']} ms (+ its 1 s poll "
        f"interval); screen poll p99 {result['screen_poll_p99_ms']} ms, phone poll p99 "
        f"{result['phone_poll_p99_ms']} ms"
    )
    print(f"stored: {stored} answers, {len(refused)} retries refused — "
          + ("all counted once" if ok else f"WRONG {result['errors']}"))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
