"""留言管理员 and 管理员 read and moderate the comments on WeChat articles. Moderating (精选,
回复, 删除) is the change permission; nobody adds or deletes rows by hand."""

from django.db import migrations

CODENAMES = ["view_articlecomment", "change_articlecomment"]
GROUPS = ["留言管理员", "管理员"]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("wechat_outbound")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="wechat_outbound", codename__in=CODENAMES
    )
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="wechat_outbound", codename__in=CODENAMES
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("wechat_outbound", "0002_article_comment"),
        ("content", "0002_editorial_groups_and_workflow"),
        ("audience", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
