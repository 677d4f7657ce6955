from django.db import models


class RateCounter(models.Model):
    """One window of one rate limit, counted in the database so that every web process
    shares it (embedded mode has no Redis); see weizhi/core/ratelimit.py."""

    name = models.CharField(max_length=255, primary_key=True)
    hits = models.IntegerField()
    # Unix time after which the window is over and the row may be pruned.
    expires = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = "频率计数"
        verbose_name_plural = "频率计数"


class TaskWorker(models.Model):
    """A database-queue worker's heartbeat: the worker process writes its row every few
    seconds, so a task it left "running" when it died can be handed on (taskqueue.py)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    pid = models.IntegerField()
    host = models.CharField(max_length=255)
    last_seen = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "任务进程"
        verbose_name_plural = "任务进程"
        permissions = [("manage_tasks", "可以查看和重试后台任务")]
