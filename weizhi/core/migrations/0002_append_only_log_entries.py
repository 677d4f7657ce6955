"""Wagtail's audit log (报告 → 网站历史) becomes append-only in the database (appendonly.py).

Wagtail itself only ever inserts log rows; a content type that goes away is set to NULL, and
``deleted`` may be set on old entries."""

from django.db import migrations

from weizhi.core import appendonly

TABLES = ["wagtailcore_modellogentry", "wagtailcore_pagelogentry"]


def forward(apps, schema_editor):
    for table in TABLES:
        appendonly.guard(schema_editor, table, may_clear=["content_type_id"], may_set=["deleted"])


def backward(apps, schema_editor):
    for table in TABLES:
        appendonly.unguard(schema_editor, table)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_rate_counter"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [migrations.RunPython(forward, backward)]
