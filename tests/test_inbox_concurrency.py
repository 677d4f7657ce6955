"""Two first messages of one person arriving at the same moment thread into one item.

Each person sends two messages at once, as two web processes (or the bridge and the member
pages) would hand them to the inbox; every person must end with exactly one open item holding
both messages. On SQLite the writers are separate processes on a file database (the in-memory
test database cannot wait for a lock); on PostgreSQL, threads of this process.
"""

import json
import sqlite3
import subprocess
import threading
import time

import pytest
from django.db import connection, transaction

from tests.base import MANAGE_PY, embedded_env, output_of, python_process
from weizhi.audience.models import Follower
from weizhi.inbox import services as inbox
from weizhi.inbox.models import Item, Message

PEOPLE = 40
WORKER = """
import json, os, time
from weizhi.audience.models import Follower
from weizhi.inbox import services as inbox
start = float(os.environ["START_AT"])
while time.time() < start:
    time.sleep(0.005)
side = os.environ["SIDE"]
for openid in json.loads(os.environ["OPENIDS"]):
    inbox.receive(Follower.objects.get(openid=openid), channel="wechat",
                  text=f"{side} 食堂的事想问一下", external_id=f"{side}:{openid}")
print("done")
"""


HOLDER = """
import os, time
from pathlib import Path
from django.db import transaction
from weizhi.audience.models import Follower
from weizhi.inbox import services as inbox
with transaction.atomic():
    inbox.receive(Follower.objects.get(openid="o-first"), channel="wechat", text="第一条",
                  external_id="first")
    Path(os.environ["HELD"]).touch()
    time.sleep(1.5)  # the other message arrives while this one is not yet committed
print("done")
"""
SECOND = """
from weizhi.audience.models import Follower
from weizhi.inbox import services as inbox
inbox.receive(Follower.objects.get(openid="o-first"), channel="web", text="第二条")
print("done")
"""


def openids() -> list[str]:
    return [f"o-race-{n:03}" for n in range(PEOPLE)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_first_messages_from_two_processes_make_one_item_per_person_on_sqlite(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("the threads test below covers PostgreSQL")
    Follower.objects.bulk_create([Follower(openid=o) for o in openids()])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(tmp_path / "weizhi.sqlite3")])
    env = embedded_env(
        tmp_path, TASKS_BACKEND="db", OPENIDS=json.dumps(openids()), START_AT=str(time.time() + 4)
    )
    workers = [manage_shell(WORKER, {**env, "SIDE": side}) for side in ("a", "b")]
    for w in workers:
        output_of(w, timeout=300)
    db = sqlite3.connect(tmp_path / "weizhi.sqlite3")
    per_person = db.execute(
        "SELECT f.openid, COUNT(DISTINCT i.id), COUNT(m.id) FROM audience_follower f"
        " JOIN inbox_item i ON i.follower_id = f.id JOIN inbox_message m ON m.item_id = i.id"
        " GROUP BY f.openid"
    ).fetchall()
    db.close()
    assert len(per_person) == PEOPLE
    assert {(items, messages) for _openid, items, messages in per_person} == {(1, 2)}


def manage_shell(code: str, env: dict[str, str]) -> subprocess.Popen:
    return python_process(MANAGE_PY, "shell", "-v0", "-c", code, env=env)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_arriving_while_the_first_is_uncommitted_joins_its_item_on_sqlite(tmp_path):
    """Deterministic: the second message is handed in while the first one's transaction is
    known to be open, and must wait for it rather than start an item of its own."""
    if connection.vendor != "sqlite":
        pytest.skip("the threads test below covers PostgreSQL")
    Follower.objects.create(openid="o-first")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM INTO %s", [str(tmp_path / "weizhi.sqlite3")])
    env = embedded_env(tmp_path, TASKS_BACKEND="db", HELD=str(tmp_path / "held"))
    holder = manage_shell(HOLDER, env)
    deadline = time.time() + 120
    while not (tmp_path / "held").exists():
        assert holder.poll() is None, holder.communicate()[1][-2000:]
        assert time.time() < deadline
        time.sleep(0.05)
    second = manage_shell(SECOND, env)
    for w in (holder, second):
        output_of(w)
    db = sqlite3.connect(tmp_path / "weizhi.sqlite3")
    items = db.execute("SELECT item_id, text FROM inbox_message ORDER BY id").fetchall()
    db.close()
    assert [text for _item, text in items] == ["第一条", "第二条"]
    assert items[0][0] == items[1][0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_arriving_while_the_first_is_uncommitted_joins_its_item():
    """The same on PostgreSQL, with threads: the second waits for the first one's lock."""
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database cannot wait for a lock: see above")
    follower = Follower.objects.create(openid="o-first")
    held, errors = threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                inbox.receive(follower, channel="wechat", text="第一条", external_id="first")
                held.set()
                time.sleep(1.5)
        except BaseException as exc:  # reported below
            errors.append(exc)
            held.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            inbox.receive(follower, channel="web", text="第二条")
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    a = threading.Thread(target=first)
    a.start()
    held.wait(60)
    b = threading.Thread(target=second)
    b.start()
    a.join()
    b.join()
    assert not errors, errors
    assert Item.objects.count() == 1
    assert list(Item.objects.get().messages.values_list("text", flat=True)) == ["第一条", "第二条"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_first_messages_from_two_threads_make_one_item_per_person():
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory SQLite test database cannot wait for a lock: see above")
    followers = Follower.objects.bulk_create([Follower(openid=o) for o in openids()])
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def work(side: str) -> None:
        try:
            for f in followers:
                start.wait()  # both sides hand in the same person's message together
                inbox.receive(
                    f, channel="wechat", text=f"{side} 想问一下", external_id=f"{side}:{f.openid}"
                )
        except BaseException as exc:  # reported below
            errors.append(exc)
            start.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(side,)) for side in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Item.objects.count() == PEOPLE
    for f in followers:
        assert Item.objects.filter(follower=f).count() == 1
        assert Message.objects.filter(item__follower=f).count() == 2
