"""Ask freepublish/get when WeChat's PUBLISHJOBFINISH does not come. Publishes already
waiting for it are asked at the scheduler's next look."""

from django.db import migrations, models
from django.utils import timezone


def poll_waiting_publishes(apps, schema_editor):
    WeChatSend = apps.get_model("wechat_outbound", "WeChatSend")
    WeChatSend.objects.filter(mode="publish", status="submitted").exclude(publish_id="").update(
        next_poll_at=timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("wechat_outbound", "0003_comment_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="wechatsend",
            name="next_poll_at",
            field=models.DateTimeField(
                blank=True, db_index=True, null=True, verbose_name="下次查询发布结果"
            ),
        ),
        migrations.AddField(
            model_name="wechatsend",
            name="polls",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="已查询次数"),
        ),
        migrations.RunPython(poll_waiting_publishes, migrations.RunPython.noop),
    ]
