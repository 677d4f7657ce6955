"""Our tasks in one process: the request id they carry, what happens when one fails for good,
the tasks health check and its thresholds, and who may see the 任务 page. The crash tests on
real worker processes are in test_task_crash.py."""

import json
import logging
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from tests.base import superuser
from weizhi.core import taskqueue
from weizhi.core.logging import request_id_var
from weizhi.core.models import TaskWorker
from weizhi.core.taskstatus import check_tasks
from weizhi.wechat.models import InboundMessage

pytestmark = pytest.mark.django_db

seen_ids: list[str] = []


@taskqueue.task()
def remember_request_id() -> str:
    seen_ids.append(request_id_var.get())
    logging.getLogger("weizhi.tests").info("in the task")
    return request_id_var.get()


@pytest.fixture
def db_queue(settings):
    """The database queue's bookkeeping, read as a running installation reads it."""
    settings.TASKS_BACKEND_NAME = "db"
    settings.HEALTH_MIN_WORKERS = 1
    return settings


def a_result(status: str, *, task_path: str, args: list, worker: str = "", minutes: int = 5):
    then = timezone.now() - timedelta(minutes=minutes)
    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        status=status,
        args_kwargs={"args": args, "kwargs": {taskqueue.REQUEST_ID_KWARG: "req-1"}},
        task_path=task_path,
        backend_name="default",
        run_after=get_date_max(),
        started_at=then if status != "READY" else None,
        finished_at=then if status == "FAILED" else None,
        worker_ids=[worker] if worker else [],
        exception_class_path="weizhi.wechat.api.errors.WeChatAPIError"
        if status == "FAILED"
        else "",
        traceback='Traceback:\n  File "x", line 1, in f\n    send("o-secret-openid")\n'
        "weizhi.wechat.api.errors.WeChatAPIError: errcode=45015"
        if status == "FAILED"
        else "",
    )


def an_inbound(status: str = InboundMessage.Status.DEFERRED) -> InboundMessage:
    return InboundMessage.objects.create(
        dedup_key=uuid.uuid4().hex,
        openid="o-secret-openid",
        msg_type="text",
        content="搜索 党章",
        sent_at=timezone.now(),
        raw_xml="<xml/>",
        status=status,
    )


def test_a_task_runs_with_the_id_of_the_request_that_enqueued_it():
    seen_ids.clear()
    token = request_id_var.set("req-abc")
    try:
        remember_request_id.enqueue()
    finally:
        request_id_var.reset(token)
    assert seen_ids == ["req-abc"]
    assert request_id_var.get() == "-"


def test_the_request_id_travels_as_a_hidden_argument_the_task_never_sees():
    token = request_id_var.set("req-xyz")
    try:
        result = remember_request_id.enqueue()
    finally:
        request_id_var.reset(token)
    assert result.kwargs == {taskqueue.REQUEST_ID_KWARG: "req-xyz"}
    assert taskqueue.public_args(result) == ([], {})


def test_a_running_task_whose_worker_died_is_handed_back_to_the_queue(db_queue):
    inbound = an_inbound()
    row = a_result(
        "RUNNING",
        task_path="weizhi.wechat.callback.tasks.answer_later",
        args=[inbound.pk],
        worker="w1",
    )
    assert taskqueue.requeue_abandoned_db() == 1
    row.refresh_from_db()
    assert row.status == "READY"
    inbound.refresh_from_db()
    assert inbound.status == InboundMessage.Status.DEFERRED


def test_a_task_whose_worker_is_alive_is_left_running(db_queue):
    TaskWorker.objects.create(worker_id="w1", pid=1, host="h", last_seen=timezone.now())
    row = a_result(
        "RUNNING", task_path="weizhi.wechat.callback.tasks.answer_later", args=[1], worker="w1"
    )
    assert taskqueue.requeue_abandoned_db() == 0
    row.refresh_from_db()
    assert row.status == "RUNNING"


def test_a_task_that_lost_its_worker_on_the_last_attempt_fails_its_object(db_queue):
    inbound = an_inbound()
    row = a_result(
        "RUNNING",
        task_path="weizhi.wechat.callback.tasks.answer_later",
        args=[inbound.pk],
        worker="w3",
    )
    row.worker_ids = ["w1", "w2", "w3"]  # TASK_MAX_ATTEMPTS = 3
    row.save()
    assert taskqueue.requeue_abandoned_db() == 1
    row.refresh_from_db()
    assert row.status == "FAILED"
    assert row.exception_class_path == "weizhi.core.taskerrors.WorkerLost"
    inbound.refresh_from_db()
    assert inbound.status == InboundMessage.Status.FAILED


def test_a_send_that_fails_for_good_is_failed_with_a_chinese_reason(db_queue, home):
    from tests import factories
    from weizhi.wechat.records.models import WeChatSend

    page = factories.article(title="稿件")
    send = WeChatSend.objects.create(
        page=page, page_title=page.title, mode="publish", status=WeChatSend.Status.RUNNING
    )
    row = a_result(
        "RUNNING",
        task_path="weizhi.wechat.publishing.services.run_send",
        args=[send.pk],
        worker="w3",
    )
    row.worker_ids = ["w1", "w2", "w3"]
    row.save()
    taskqueue.requeue_abandoned_db()
    send.refresh_from_db()
    assert send.status == WeChatSend.Status.FAILED
    assert "工作进程中断" in send.message
    assert send.finished_at is not None


def test_health_fails_without_a_live_worker(db_queue):
    report = check_tasks()
    assert report["workers"] == 0
    assert report["ok"] is False
    TaskWorker.objects.create(worker_id="w1", pid=1, host="h", last_seen=timezone.now())
    assert check_tasks()["ok"] is True


def test_health_fails_on_a_running_task_whose_worker_is_dead(db_queue):
    TaskWorker.objects.create(worker_id="live", pid=1, host="h", last_seen=timezone.now())
    TaskWorker.objects.create(
        worker_id="dead", pid=2, host="h", last_seen=timezone.now() - timedelta(minutes=5)
    )
    a_result("RUNNING", task_path="weizhi.core.tasks.prune_rate_counters", args=[], worker="dead")
    report = check_tasks()
    assert report["workers"] == 1
    assert report["abandoned"] == 1
    assert report["ok"] is False


def test_health_fails_on_an_old_waiting_task_and_on_many_failures(db_queue):
    TaskWorker.objects.create(worker_id="w1", pid=1, host="h", last_seen=timezone.now())
    row = a_result("READY", task_path="weizhi.core.tasks.prune_rate_counters", args=[])
    DBTaskResult.objects.filter(pk=row.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    report = check_tasks()
    assert report["oldest_waiting_seconds"] >= 599
    assert report["ok"] is False
    row.delete()
    db_queue.HEALTH_MAX_FAILED_JOBS_HOUR = 1
    for _ in range(2):
        a_result("FAILED", task_path="weizhi.core.tasks.prune_rate_counters", args=[])
    report = check_tasks()
    assert report["failed_last_hour"] == 2
    assert report["ok"] is False


def test_healthz_answers_503_when_no_worker_is_alive(client, db_queue):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["tasks"]["workers"] == 0


def test_the_task_page_shows_names_ids_and_errors_but_no_arguments(client, db_queue):
    failed = a_result("FAILED", task_path="weizhi.wechat.callback.tasks.answer_later", args=["o-x"])
    waiting = a_result("READY", task_path="weizhi.core.tasks.prune_rate_counters", args=[])
    client.force_login(superuser())
    response = client.get("/admin/tasks/")
    assert response.status_code == 200
    body = response.content.decode()
    assert str(failed.id) in body and str(waiting.id) in body
    assert "answer_later" in body and "等待中" in body and "失败" in body
    assert "WeChatAPIError: errcode=45015" in body
    assert "o-secret-openid" not in body and "o-x" not in body
    assert "重试" in body


def test_the_task_page_is_for_superusers_and_holders_of_its_permission(client, db_queue):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("editor", password="p4ss-测试", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(staff)
    refused = client.get("/admin/tasks/")  # Wagtail sends a refused user to the dashboard
    assert (refused.status_code, refused.url) == (302, "/admin/")
    staff.user_permissions.add(Permission.objects.get(codename="manage_tasks"))
    staff = get_user_model().objects.get(pk=staff.pk)
    client.force_login(staff)
    assert client.get("/admin/tasks/").status_code == 200


def test_retry_puts_a_failed_task_back_in_the_queue_with_fresh_attempts(db_queue):
    row = a_result(
        "FAILED", task_path="weizhi.wechat.callback.tasks.answer_later", args=[1], worker="w"
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser())
    url = f"/admin/tasks/{row.id}/retry/"
    assert client.post(url).status_code == 403  # no CSRF token
    assert client.get(url).status_code == 405
    client.get("/admin/tasks/")
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    row.refresh_from_db()
    assert row.status == "READY"
    assert row.worker_ids == []
