"""An existing installation starts the inbox bridge at its newest stored message: the
history before the inbox existed stays in 收到的消息 and does not flood the 留言管理员 with
old work orders (WeChat would not accept answers to them after 48 hours anyway)."""

from django.db import migrations
from django.db.models import Max


def start_from_now(apps, schema_editor):
    InboundMessage = apps.get_model("wechat", "InboundMessage")
    InboxCursor = apps.get_model("wechat", "InboxCursor")
    newest = InboundMessage.objects.aggregate(newest=Max("pk"))["newest"] or 0
    # "inbox-floor": rows at or below it are never read, not even by the look-behind.
    for name in ("inbox", "inbox-floor"):
        InboxCursor.objects.update_or_create(name=name, defaults={"position": newest})


class Migration(migrations.Migration):
    dependencies = [("wechat", "0013_quiz_action")]

    operations = [migrations.RunPython(start_from_now, migrations.RunPython.noop)]
