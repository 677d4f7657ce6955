"""人工回复 from 收到的消息: the table of the replies (their audit trail) and the right to
send them, for those who answer followers (编辑, 留言管理员, 管理员)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

REPLY = "reply_inboundmessage"
GROUPS = ("编辑", "留言管理员", "管理员")


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("wechat")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    reply = Permission.objects.get(content_type__app_label="wechat", codename=REPLY)
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(reply)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="wechat", codename=REPLY).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("wechat", "0014_inbox_cursor_from_now"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="inboundmessage",
            options={
                "ordering": ["-received_at"],
                "permissions": [("reply_inboundmessage", "人工回复粉丝的消息（客服消息）")],
                "verbose_name": "收到的消息",
                "verbose_name_plural": "收到的消息",
            },
        ),
        migrations.CreateModel(
            name="ManualReply",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("openid", models.CharField(max_length=64, verbose_name="OpenID")),
                ("text", models.TextField(verbose_name="回复内容")),
                (
                    "at",
                    models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="回复时间"),
                ),
                ("delivered", models.BooleanField(default=False, verbose_name="已送达微信")),
                ("detail", models.CharField(blank=True, max_length=300, verbose_name="发送结果")),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="wechat.inboundmessage",
                        verbose_name="回复的消息",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="回复人",
                    ),
                ),
            ],
            options={
                "verbose_name": "人工回复",
                "verbose_name_plural": "人工回复",
                "ordering": ["-at", "-id"],
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
