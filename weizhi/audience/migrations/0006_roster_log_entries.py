"""The roster's log entries move out of Wagtail's ModelLogEntry into RosterLogEntry, whose
views apply the roster's scope, and the new table is append-only like the old one."""

import django.core.serializers.json
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from weizhi.core import appendonly

TABLE = "audience_rosterlogentry"
ROSTER_MODELS = ["member", "branch", "auditentry", "bindingrequest", "branchmembership", "follower"]
FIELDS = [
    "content_type_id",
    "label",
    "action",
    "data",
    "timestamp",
    "uuid",
    "user_id",
    "revision_id",
    "content_changed",
    "deleted",
    "object_id",
]


def _move(apps, schema_editor, source: str, target: str) -> None:
    models_ = {
        "model": apps.get_model("wagtailcore", "ModelLogEntry"),
        "roster": apps.get_model("audience", "RosterLogEntry"),
    }
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.filter(app_label="audience", model__in=ROSTER_MODELS)
    entries = models_[source].objects.filter(content_type__in=types).order_by("pk")
    rows = [models_[target](**{f: getattr(e, f) for f in FIELDS}) for e in entries]
    models_[target].objects.bulk_create(rows, batch_size=500)
    with appendonly.writable(schema_editor.connection):
        entries.delete()


def forward(apps, schema_editor):
    _move(apps, schema_editor, "model", "roster")
    appendonly.guard(schema_editor, TABLE, may_clear=["content_type_id"], may_set=["deleted"])


def backward(apps, schema_editor):
    appendonly.unguard(schema_editor, TABLE)
    _move(apps, schema_editor, "roster", "model")


class Migration(migrations.Migration):
    dependencies = [
        ("audience", "0005_auditentry_append_only"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RosterLogEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("label", models.TextField()),
                ("action", models.CharField(blank=True, db_index=True, max_length=255)),
                (
                    "data",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        encoder=django.core.serializers.json.DjangoJSONEncoder,
                    ),
                ),
                ("timestamp", models.DateTimeField(db_index=True, verbose_name="timestamp (UTC)")),
                (
                    "uuid",
                    models.UUIDField(
                        blank=True,
                        editable=False,
                        help_text="Log entries that happened as part of the same user action are assigned the same UUID",
                        null=True,
                    ),
                ),
                ("content_changed", models.BooleanField(db_index=True, default=False)),
                ("deleted", models.BooleanField(default=False)),
                ("object_id", models.CharField(db_index=True, max_length=255)),
                (
                    "content_type",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="contenttypes.contenttype",
                        verbose_name="content type",
                    ),
                ),
                (
                    "revision",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="wagtailcore.revision",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "名册日志",
                "verbose_name_plural": "名册日志",
                "ordering": ["-timestamp", "-id"],
                "abstract": False,
                "indexes": [
                    models.Index(
                        fields=["uuid", "action", "-timestamp"], name="audience_ro_uuid_e8c337_idx"
                    )
                ],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
