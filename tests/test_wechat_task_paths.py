"""Tasks queued before the WeChat app moved into feature packages still run after it: the
migration points their rows at the functions' new module paths."""

import importlib
import uuid

import pytest
from django.apps import apps
from django.utils.module_loading import import_string
from django_tasks_db.models import DBTaskResult, get_date_max

moved = importlib.import_module("weizhi.wechat.migrations.0010_queued_task_paths")


def a_result(status: str, task_path: str) -> DBTaskResult:
    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        status=status,
        args_kwargs={"args": [1], "kwargs": {}},
        task_path=task_path,
        backend_name="default",
        run_after=get_date_max(),
    )


def test_every_new_path_names_the_task_that_was_at_the_old_one():
    for old, new in moved.MOVED.items():
        task = import_string(new)
        assert task.module_path == new
        assert old.rsplit(".", 1)[1] == new.rsplit(".", 1)[1]


@pytest.mark.django_db
def test_queued_and_running_tasks_point_at_the_new_paths_and_finished_ones_keep_theirs():
    waiting = a_result("READY", "weizhi.wechat.tasks.answer_later")
    running = a_result("RUNNING", "weizhi.wechat.outbound.publishing.run_send")
    done = a_result("SUCCESSFUL", "weizhi.wechat.outbound.publishing.run_send")
    other = a_result("READY", "weizhi.audience.tasks.something_else")

    moved.forwards(apps, None)

    for row in (waiting, running, done, other):
        row.refresh_from_db()
    assert waiting.task_path == "weizhi.wechat.callback.tasks.answer_later"
    assert running.task_path == "weizhi.wechat.publishing.services.run_send"
    assert done.task_path == "weizhi.wechat.outbound.publishing.run_send"
    assert other.task_path == "weizhi.audience.tasks.something_else"
    assert import_string(waiting.task_path).name == "answer_later"

    moved.backwards(apps, None)
    waiting.refresh_from_db()
    assert waiting.task_path == "weizhi.wechat.tasks.answer_later"
