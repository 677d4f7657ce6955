"""The 任务 page of the admin: waiting, running and failed background tasks, with 重试."""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from weizhi.core import taskstatus

log = logging.getLogger(__name__)

PERMISSION = "core.manage_tasks"


@permission_required(PERMISSION, raise_exception=True)
def task_list(request: HttpRequest) -> HttpResponse:
    rows = taskstatus.jobs()
    context = {"rows": rows, "health": taskstatus.check_tasks()}
    return render(request, "core/tasks.html", context)


@require_POST
@permission_required(PERMISSION, raise_exception=True)
def task_retry(request: HttpRequest, job_id: str) -> HttpResponse:
    if taskstatus.retry(job_id):
        log.info("user %s retries task %s", request.user.pk, job_id)
        messages.success(request, "任务已重新排队。")
    else:
        messages.error(request, "只能重试失败的任务（它可能已被重试或已清理）。")
    return redirect("core_tasks")
