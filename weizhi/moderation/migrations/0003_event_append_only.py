"""The queue's audit trail (审核记录) becomes append-only in the database; a deleted user or
member leaves the record in place with the reference cleared (on_delete=SET_NULL)."""

from django.db import migrations

from weizhi.core import appendonly

TABLE = "moderation_event"


def forward(apps, schema_editor):
    appendonly.guard(schema_editor, TABLE, may_clear=["user_id", "member_id"])


def backward(apps, schema_editor):
    appendonly.unguard(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0002_moderation_permissions"),
        ("core", "0002_append_only_log_entries"),
    ]

    operations = [migrations.RunPython(forward, backward)]
