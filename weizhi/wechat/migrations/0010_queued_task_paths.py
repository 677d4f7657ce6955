"""Queued tasks name their function by its module path, and the WeChat app's modules moved
into feature packages: tasks waiting or running at the upgrade point at the new paths, so a
worker can still load them. Only the database queue is rewritten (RQ jobs live in Redis)."""

from django.db import migrations

MOVED = {
    "weizhi.wechat.tasks.answer_later": "weizhi.wechat.callback.tasks.answer_later",
    "weizhi.wechat.media.upload_rule_image": "weizhi.wechat.callback.media.upload_rule_image",
    "weizhi.wechat.menu_services.push_menu": "weizhi.wechat.menu.services.push_menu",
    "weizhi.wechat.outbound.publishing.run_send": "weizhi.wechat.publishing.services.run_send",
    "weizhi.wechat.outbound.publish_poll.poll_publishes": (
        "weizhi.wechat.publishing.poll.poll_publishes"
    ),
    "weizhi.wechat.outbound.comments.pull_comments_task": (
        "weizhi.wechat.comments.services.pull_comments_task"
    ),
    "weizhi.wechat.outbound.comments.pull_recent_comments": (
        "weizhi.wechat.comments.services.pull_recent_comments"
    ),
    "weizhi.wechat.outbound.roster_tags.push_follower_tags": (
        "weizhi.wechat.followers.roster_tags.push_follower_tags"
    ),
    "weizhi.wechat.outbound.roster_tags.sync_followers_task": (
        "weizhi.wechat.followers.roster_tags.sync_followers_task"
    ),
}
UNFINISHED = ("READY", "RUNNING")


def rename(apps, paths: dict[str, str]) -> None:
    result = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in paths.items():
        result.objects.filter(task_path=old, status__in=UNFINISHED).update(task_path=new)


def forwards(apps, schema_editor) -> None:
    rename(apps, MOVED)


def backwards(apps, schema_editor) -> None:
    rename(apps, {new: old for old, new in MOVED.items()})


class Migration(migrations.Migration):
    dependencies = [
        ("wechat", "0009_inbound_sending"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
