"""菜单推送记录 (who pushed which menu, when) become append-only in the database; the push
task fills in the result once, and a deleted user leaves the record with pushed_by cleared."""

from django.db import migrations

from weizhi.core import appendonly

TABLE = "wechat_menupush"


def forward(apps, schema_editor):
    appendonly.guard(
        schema_editor, TABLE, may_clear=["pushed_by_id"], outcome=["status", "message"]
    )


def backward(apps, schema_editor):
    appendonly.unguard(schema_editor, TABLE)


class Migration(migrations.Migration):
    dependencies = [
        ("wechat", "0007_inbound_openid_one_index"),
        ("core", "0002_append_only_log_entries"),
    ]

    operations = [migrations.RunPython(forward, backward)]
