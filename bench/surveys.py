#!/usr/bin/env python3
"""How fast one survey takes responses on embedded SQLite, and that none is lost or doubled.

    .venv/bin/python bench/surveys.py [--people 2000] [--processes 4]

Builds a throw-away instance (migrate into a temporary var dir), makes an anonymous survey
of five questions with a quota on one option, and has --processes worker processes (as
granian's workers would be) submit one response for each of --people persons through
weizhi.surveys.services.submit — every person twice, from two processes, as a double tap
would. The baseline, measured in the same run on a second survey, is one process submitting
the same responses alone. It prints responses/s for both and their ratio, and checks the
stored counts: one response per person, the quota never exceeded.

This measures the write path (the transaction and its unique rows), not HTTP.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SETUP = """
from weizhi.surveys.models import Question, Survey
ids = []
for title in ("基线", "并发"):
    s = Survey.objects.create(title=title, published=True, anonymous=True, audience="everyone")
    rows = [("single", "满意吗", "满意\\n一般\\n不满意"),
            ("multiple", "关注", "学习\\n活动\\n服务"),
            ("nps", "推荐吗", ""), ("single", "场次", "上午 [限额300]\\n下午"),
            ("textarea", "建议", "")]
    for n, (kind, text, options) in enumerate(rows):
        Question.objects.create(survey=s, sort_order=n, kind=kind, title=text, options=options)
    s.save()
    ids.append(s.pk)
print(json.dumps(ids))
"""

WORKER = """
import os, random, time
from weizhi.surveys import services
from weizhi.surveys.models import Draft, Survey
s = Survey.objects.get(pk=int(os.environ["SURVEY_PK"]))
people = json.loads(os.environ["PEOPLE"])
counts = {"ok": 0, "again": 0, "full": 0}
start = float(os.environ["START_AT"])
while time.time() < start:
    time.sleep(0.005)
for n in people:
    person = services.Respondent(f"b:{n}")
    rng = random.Random(n)  # a person gives the same answers on both tries
    answers = {"Q1": rng.choice("ABC"), "Q2": rng.sample("ABC", 2), "Q3": rng.randint(0, 10),
               "Q4": rng.choice("AB"), "Q5": "多组织学习活动，改进服务"}
    draft = Draft(survey=s, token=services.person_token(s, person), answers=answers)
    try:
        services.submit(s, person, draft)
        counts["ok"] += 1
    except services.AlreadyAnswered:
        counts["again"] += 1
    except services.QuotaFull:
        counts["full"] += 1
counts["end"] = time.time()
counts["attempts"] = len(people)
print(json.dumps(counts))
"""

CHECK = """
from weizhi.surveys.models import Participation, QuotaClaim, Response
pk = int(os.environ["SURVEY_PK"])
print(json.dumps({
    "responses": Response.objects.filter(survey_id=pk).count(),
    "participations": Participation.objects.filter(survey_id=pk).count(),
    "claims": QuotaClaim.objects.filter(survey_id=pk).count(),
    "morning": sum(1 for a in Response.objects.filter(survey_id=pk)
                   .values_list("answers", flat=True) if a["Q4"] == "A"),
}))
"""


def shell(env: dict, code: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-v0", "-c", "import json, os\n" + code],
        env={**env, **extra},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def result(proc: subprocess.Popen) -> dict | list:
    out, _ = proc.communicate(timeout=900)
    if proc.returncode:
        raise SystemExit(f"a worker failed (exit {proc.returncode})")
    return json.loads(out.strip().splitlines()[-1])


def run(env: dict, survey: int, people: int, processes: int, twice: bool) -> tuple[float, dict]:
    jobs = [n for n in range(people) for _ in range(2 if twice else 1)]
    random.Random(3).shuffle(jobs)
    start = time.time() + 8  # every process imported Django and waits at the line
    workers = [
        shell(
            env,
            WORKER,
            SURVEY_PK=str(survey),
            PEOPLE=json.dumps(jobs[i::processes]),
            START_AT=str(start),
        )
        for i in range(processes)
    ]
    outcomes = [result(w) for w in workers]
    elapsed = max(o["end"] for o in outcomes) - start
    totals = {k: sum(o[k] for o in outcomes) for k in ("ok", "again", "full", "attempts")}
    return elapsed, totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="weizhi-bench-surveys-") as var:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(WEIZHI_VAR_DIR=var, ACCESS_LOG_LEVEL="WARNING", LOG_LEVEL="WARNING")
        print("preparing a fresh embedded instance (migrate) …", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"],
            env=env,
            cwd=ROOT,
            check=True,
        )
        baseline_pk, load_pk = result(shell(env, SETUP))
        base_s, base = run(env, baseline_pk, args.people, 1, twice=False)
        load_s, load = run(env, load_pk, args.people, args.processes, twice=True)
        stored = result(shell(env, CHECK, SURVEY_PK=str(load_pk)))
    base_rate, load_rate = base["ok"] / base_s, load["ok"] / load_s
    print(
        f"baseline, 1 process, each person once: {base['ok']} responses stored of "
        f"{base['attempts']} submits in {base_s:.1f} s = {base_rate:.1f} responses/s "
        f"({base['attempts'] / base_s:.1f} submits/s)"
    )
    print(
        f"load, {args.processes} processes, each person twice: {load['ok']} responses stored "
        f"of {load['attempts']} submits in {load_s:.1f} s = {load_rate:.1f} responses/s "
        f"({load['attempts'] / load_s:.1f} submits/s; {load['again']} second tries refused, "
        f"{load['full']} told the quota was full)"
    )
    print(f"ratio load/baseline: {load_rate / base_rate:.2f}")
    ok = (
        stored["responses"] == stored["participations"] == load["ok"]
        and stored["morning"] == stored["claims"] <= 300
        and load["ok"] == base["ok"]
        and load["again"] == load["ok"]
        and load["ok"] + load["full"] // 2 == args.people
    )
    print(f"stored: {stored} — {'none lost, none doubled' if ok else 'MISMATCH'}")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
