"""Many phones submitting one survey at once: every person counted once, no quota exceeded.

Each person's submission is sent twice at the same moment, as a double tap or a retried
request would; the database's unique rows must keep exactly one. On SQLite the writers are
separate processes on a file database (as granian's workers are: the in-memory test database
cannot wait for a lock); on PostgreSQL, threads of this process.
"""

import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from tests.test_surveys_support import survey
from weizhi.surveys import services
from weizhi.surveys.models import Draft, Participation, QuotaClaim, Response, Survey

PEOPLE, THREADS, QUOTA = 120, 8, 25


ROOT = Path(__file__).resolve().parents[1]
WORKER = """
import os
from weizhi.surveys import services
from weizhi.surveys.models import Draft, Survey
s = Survey.objects.get(pk=int(os.environ["SURVEY_PK"]))
counts = {"ok": 0, "again": 0, "full": 0}
for n in json.loads(os.environ["PEOPLE"]):
    person = services.Respondent(f"b:{n}")
    draft = Draft(survey=s, token=services.person_token(s, person),
                  answers={"Q1": "A" if n % 2 else "B"})
    try:
        services.submit(s, person, draft)
        counts["ok"] += 1
    except services.AlreadyAnswered:
        counts["again"] += 1
    except services.QuotaFull:
        counts["full"] += 1
print(json.dumps(counts))
"""


def load_survey() -> Survey:
    return survey(
        [{"kind": "single", "title": "场次", "options": f"上午 [限额{QUOTA}]\n下午"}],
        audience=Survey.Audience.EVERYONE,
        anonymous=True,
    )


def check(s: Survey, outcomes: dict[str, int]) -> None:
    responses = Response.objects.filter(survey=s)
    morning = sum(1 for a in responses.values_list("answers", flat=True) if a["Q1"] == "A")
    assert morning == QUOTA == QuotaClaim.objects.filter(survey=s).count()
    assert responses.count() == PEOPLE // 2 + QUOTA == outcomes["ok"]
    assert Participation.objects.filter(survey=s).count() == outcomes["ok"]
    assert outcomes["ok"] + outcomes["again"] + outcomes["full"] == 2 * PEOPLE


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_submits_from_several_processes_on_sqlite(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the threads test below covers PostgreSQL")
    s = load_survey()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(tmp_path / "weizhi.sqlite3")])
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(WEIZHI_VAR_DIR=str(tmp_path), SURVEY_PK=str(s.pk))
    jobs = [n for n in range(PEOPLE) for _ in range(2)]
    random.Random(3).shuffle(jobs)
    workers = []
    for i in range(4):
        env_i = {**env, "PEOPLE": json.dumps(jobs[i::4])}
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "shell",
                    "-v0",
                    "-c",
                    "import json\n" + WORKER,
                ],
                env=env_i,
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outcomes = {"ok": 0, "again": 0, "full": 0}
    for w in workers:
        out, err = w.communicate(timeout=300)
        assert w.returncode == 0, err[-2000:]
        for key, n in json.loads(out.split("\n")[-2]).items():
            outcomes[key] += n
    # Read the file the workers wrote, not the test database.
    import sqlite3

    db = sqlite3.connect(tmp_path / "weizhi.sqlite3")
    answers = [
        json.loads(a)
        for (a,) in db.execute("SELECT answers FROM surveys_response WHERE survey_id = ?", [s.pk])
    ]
    claims = db.execute("SELECT COUNT(*) FROM surveys_quotaclaim").fetchone()[0]
    people = db.execute("SELECT COUNT(*) FROM surveys_participation").fetchone()[0]
    db.close()
    assert sum(1 for a in answers if a["Q1"] == "A") == QUOTA == claims
    assert len(answers) == PEOPLE // 2 + QUOTA == outcomes["ok"] == people
    assert outcomes["ok"] + outcomes["again"] + outcomes["full"] == 2 * PEOPLE


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_submits_lose_none_and_double_none():
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database cannot wait for a lock: see above")
    s = load_survey()
    jobs = [n for n in range(PEOPLE) for _ in range(2)]
    random.Random(3).shuffle(jobs)
    outcomes: dict[str, int] = {"ok": 0, "again": 0, "full": 0}
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(mine: list[int]) -> None:
        try:
            start.wait()
            for n in mine:
                person = services.Respondent(f"b:{n}")
                token = services.person_token(s, person)
                draft = Draft(survey=s, token=token, answers={"Q1": "A" if n % 2 else "B"})
                try:
                    services.submit(s, person, draft)
                    result = "ok"
                except services.AlreadyAnswered:
                    result = "again"
                except services.QuotaFull:
                    result = "full"
                with lock:
                    outcomes[result] += 1
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(jobs[i::THREADS],)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    check(s, outcomes)
