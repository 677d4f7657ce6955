"""Tasks that survive a crash, on real worker processes: db_worker (embedded mode) and an RQ
worker (scaled mode, with REDIS_TEST_URL). A worker is SIGKILLed while the task waits at a
known point (TASK_TEST_PAUSE); the scheduler's requeue_abandoned job hands the task on, and a
second worker finishes it exactly once. Each test drives its own installation in subprocesses,
as an operator's processes would run, against the fake WeChat API over HTTP."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from weizhi.wechat.fake import FakeWeChat, serve

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")
APP_ID = "wxtaskcrash000001"
SECRET = "task-crash-secret"
DEAD_SECONDS = 6
CUSTOM_SEND = "/cgi-bin/message/custom/send"

QUEUES = [
    "db",
    pytest.param("rq", marks=pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL unset")),
]

ENQUEUE = """
from django.utils import timezone
from weizhi.core.logging import request_id_var
from weizhi.wechat.models import InboundMessage
from weizhi.wechat.callback.tasks import answer_later

request_id_var.set("req-{key}")
xml = ("<xml><ToUserName>gh_crash</ToUserName><FromUserName>o-{key}</FromUserName>"
       "<CreateTime>1700000000</CreateTime><MsgType>text</MsgType>"
       "<Content>搜索 党章</Content><MsgId>{key}</MsgId></xml>")
row = InboundMessage.objects.create(
    dedup_key="{key}", openid="o-{key}", msg_type="text", content="搜索 党章",
    sent_at=timezone.now(), raw_xml=xml, status="deferred",
)
result = answer_later.enqueue(row.pk, "search", "党章", None)
print("OUT:" + result.id)
"""

STATE = """
import json
from weizhi.core.taskstatus import check_tasks
from weizhi.wechat.models import InboundMessage
from weizhi.wechat.callback.tasks import answer_later

row = InboundMessage.objects.get(dedup_key="{key}")
result = answer_later.get_result("{result_id}")
print("OUT:" + json.dumps({{
    "inbound": row.status,
    "task": result.status,
    "attempts": len(result.worker_ids),
    "health": check_tasks(),
}}))
"""

SEND = """
from tests import factories
from weizhi.wechat.publishing.services import publish_to_wechat

factories.site_home()
page = factories.article(title="稿件 {key}", cover=factories.image())
send = publish_to_wechat(page)
print("OUT:" + str(send.pk))
"""

SEND_STATE = """
import json
from weizhi.wechat.records.models import WeChatSend

send = WeChatSend.objects.get(pk={send_id})
print("OUT:" + json.dumps({{"status": send.status, "draft": send.draft_media_id}}))
"""

PAGE = """
import json
from django.contrib.auth import get_user_model
from django.test import Client

users = get_user_model().objects
user = users.filter(username="root").first() or users.create_superuser("root", password="p4ss-测试")
client = Client(enforce_csrf_checks=True)
client.force_login(user)
page = client.get("/admin/tasks/")
out = {{"status": page.status_code, "body": page.content.decode()}}
if "{retry}":
    token = client.cookies["csrftoken"].value
    answer = client.post("/admin/tasks/{retry}/retry/", {{"csrfmiddlewaretoken": token}})
    out["retry"] = answer.status_code
print("OUT:" + json.dumps(out))
"""


class Installation:
    """One migrated installation (SQLite in a var dir, or PostgreSQL), shared by the tests."""

    def __init__(self, var_dir: Path) -> None:
        drop = {"DATABASE_URL", "REDIS_URL", "TASKS_BACKEND", "TASK_TEST_PAUSE"}
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update(
            WEIZHI_VAR_DIR=str(var_dir),
            PYTHONUNBUFFERED="1",
            SECRET_KEY="task-crash-test-" + "k" * 40,
            TASK_HEARTBEAT_SECONDS="1",
            TASK_WORKER_DEAD_SECONDS=str(DEAD_SECONDS),
            LOG_LEVEL="INFO",
            TASKS_LOG_LEVEL="WARNING",
        )
        if DATABASE_URL.startswith("postgres"):
            parts = urlsplit(DATABASE_URL)
            url = urlunsplit(parts._replace(path=f"{parts.path}_crash"))
            _recreate_database(url)
            self.env["DATABASE_URL"] = url
        self.run({}, "migrate", "--noinput", "-v0")

    def run(self, env: dict, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            env={**self.env, **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def python(self, env: dict, code: str):
        out = self.run(env, "shell", "-v0", "-c", code)
        line = next(line for line in out.splitlines() if line.startswith("OUT:"))
        text = line[4:]
        return json.loads(text) if text[:1] in "{[" else text


def _recreate_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="module")
def installation(tmp_path_factory) -> Installation:
    return Installation(tmp_path_factory.mktemp("crash"))


@pytest.fixture
def fake():
    fake = FakeWeChat(APP_ID, SECRET)
    server, url = serve(fake)
    fake.url = url
    yield fake
    server.shutdown()
    server.server_close()


class Stack:
    """The processes of one test: workers on one queue, and their logs."""

    def __init__(self, installation: Installation, fake: FakeWeChat, queue: str, tmp: Path):
        self.installation = installation
        self.tmp = tmp
        self.queue = queue
        self.marker = tmp / "paused"
        self.env = {
            "TASKS_BACKEND": queue,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": SECRET,
            "WECHAT_TOKEN": "callbacktoken",
            "WECHAT_API_BASE": fake.url,
            "TASK_TEST_PAUSE": f"answer_later:{self.marker}",
        }
        if queue == "rq":
            self.env["REDIS_URL"] = REDIS_TEST_URL
        self.workers: list[subprocess.Popen] = []

    def start_worker(self) -> subprocess.Popen:
        if self.queue == "rq":
            command = ["rqworker", "--job-class", "django_tasks_rq.Job", "default"]
        else:
            command = ["db_worker", "--queue-name", "*", "--no-reload", "--no-startup-delay"]
            command += ["--interval", "0.2"]
        log = (self.tmp / f"worker{len(self.workers)}.log").open("w")
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), *command],
            env={**self.installation.env, **self.env},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.workers.append(worker)
        return worker

    def logs(self) -> str:
        return "".join(p.read_text() for p in sorted(self.tmp.glob("worker*.log")))

    def python(self, code: str):
        return self.installation.python(self.env, code)

    def page(self, retry: str) -> dict:
        """The 任务 page as a superuser sees it (DEBUG: static files uncollected), and 重试."""
        return self.installation.python({**self.env, "DEBUG": "1"}, PAGE.format(retry=retry))

    def tick(self) -> None:
        """One tick of the scheduler: every periodic job, requeue_abandoned among them."""
        self.installation.run(self.env, "scheduler", "--once")

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.kill()
            worker.wait()


@pytest.fixture
def stack_for(installation, fake, tmp_path):
    stacks = []

    def make(queue: str) -> Stack:
        if queue == "rq":
            import redis

            redis.Redis.from_url(REDIS_TEST_URL).flushdb()
        stack = Stack(installation, fake, queue, tmp_path)
        stacks.append(stack)
        return stack

    yield make
    for stack in stacks:
        stack.stop()


def wait_for(check, seconds: float, what: str, stack: Stack):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}; worker logs:\n{stack.logs()[-4000:]}")


def state(stack: Stack, key: str, result_id: str) -> dict:
    return stack.python(STATE.format(key=key, result_id=result_id))


@pytest.mark.parametrize("queue", QUEUES)
def test_a_worker_killed_mid_answer_is_replaced_and_the_follower_answered_once(
    stack_for, fake, queue
):
    stack = stack_for(queue)
    key = f"kill{queue}"
    fake.state.add_user(f"o-{key}")
    result_id = stack.python(ENQUEUE.format(key=key))
    first = stack.start_worker()
    wait_for(stack.marker.exists, 60, "the task to reach its pause point", stack)
    horse = int(stack.marker.read_text())
    os.kill(first.pid, signal.SIGKILL)
    if horse != first.pid:  # RQ runs the task in a forked work-horse
        os.kill(horse, signal.SIGKILL)
    first.wait()
    assert fake.count(CUSTOM_SEND) == 0

    # The dead worker's task still says running; the health check sees it abandoned.
    time.sleep(DEAD_SECONDS + 1)
    seen = state(stack, key, result_id)
    assert seen["task"] == "RUNNING"
    assert seen["health"]["abandoned"] == 1
    assert seen["health"]["workers"] == 0
    assert seen["health"]["ok"] is False

    stack.start_worker()
    stack.tick()
    wait_for(lambda: state(stack, key, result_id)["task"] == "SUCCESSFUL", 90, "the retry", stack)
    done = state(stack, key, result_id)
    assert done["inbound"] == "sent_later"
    assert fake.count(CUSTOM_SEND) == 1
    assert [m["touser"] for m in fake.state.custom_messages] == [f"o-{key}"]
    assert done["health"]["abandoned"] == 0
    assert done["health"]["workers"] == 1
    if queue == "db":
        assert done["attempts"] == 2
    # The task's log lines carry the id of the request that enqueued it.
    assert f"rid=req-{key}" in stack.logs()


@pytest.mark.parametrize("queue", QUEUES)
def test_an_answer_that_fails_every_time_ends_failed_and_is_retried_from_the_task_page(
    stack_for, fake, queue
):
    stack = stack_for(queue)
    stack.env["TASK_TEST_PAUSE"] = ""
    key = f"fail{queue}"
    fake.state.add_user(f"o-{key}")
    fake.fail_next(CUSTOM_SEND, 45015, times=3)
    result_id = stack.python(ENQUEUE.format(key=key))
    stack.start_worker()
    wait_for(lambda: state(stack, key, result_id)["task"] == "FAILED", 90, "the failure", stack)
    failed = state(stack, key, result_id)
    assert failed["inbound"] == "failed"
    assert fake.count(CUSTOM_SEND) == 3  # TASK_MAX_ATTEMPTS
    assert fake.state.custom_messages == []
    assert failed["health"]["failed_last_hour"] >= 1

    page = stack.page(retry="")
    assert page["status"] == 200
    row = next(row for row in page["body"].split("<tr") if result_id in row)
    assert "answer_later" in row
    assert "失败" in row
    assert "WeChatAPIError" in row
    assert f"o-{key}" not in page["body"]  # arguments may be personal: never shown

    retried = stack.page(retry=result_id)
    assert retried["retry"] == 302
    wait_for(lambda: state(stack, key, result_id)["task"] == "SUCCESSFUL", 90, "重试", stack)
    assert state(stack, key, result_id)["inbound"] == "sent_later"
    assert len(fake.state.custom_messages) == 1


@pytest.mark.parametrize("queue", QUEUES)
def test_a_worker_killed_mid_send_is_replaced_and_the_draft_made_once(stack_for, fake, queue):
    stack = stack_for(queue)
    stack.env["TASK_TEST_PAUSE"] = f"run_send:{stack.marker}"
    send_id = stack.python(SEND.format(key=queue))
    first = stack.start_worker()
    wait_for(stack.marker.exists, 60, "the send to reach its pause point", stack)
    horse = int(stack.marker.read_text())
    os.kill(first.pid, signal.SIGKILL)
    if horse != first.pid:
        os.kill(horse, signal.SIGKILL)
    first.wait()
    assert stack.python(SEND_STATE.format(send_id=send_id))["status"] == "running"
    assert fake.count("/cgi-bin/draft/add") == 1

    time.sleep(DEAD_SECONDS + 1)
    stack.start_worker()
    stack.tick()

    def submitted():
        return stack.python(SEND_STATE.format(send_id=send_id))["status"] == "submitted"

    wait_for(submitted, 90, "the send to be retried", stack)
    assert fake.count("/cgi-bin/draft/add") == 1
    assert fake.count("/cgi-bin/freepublish/submit") == 1
