"""审计记录 become append-only in the database; a deleted user, member or follower leaves
the entry in place with the reference cleared (on_delete=SET_NULL)."""

from django.db import migrations

from weizhi.core import appendonly

TABLE = "audience_auditentry"


def forward(apps, schema_editor):
    appendonly.guard(
        schema_editor,
        TABLE,
        may_clear=["user_id", "by_member_id", "member_id", "follower_id"],
    )


def backward(apps, schema_editor):
    appendonly.unguard(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("audience", "0004_member_password_reset"),
        ("core", "0002_append_only_log_entries"),
    ]

    operations = [migrations.RunPython(forward, backward)]
