"""Who may do what in the 公众号 menu: editors keep the reply rules, 留言管理员 read the
messages, 管理员 also edit and push the custom menu and the account settings."""

from django.db import migrations

EDITOR = ["add_replyrule", "change_replyrule", "delete_replyrule", "view_replyrule"]
READ_MESSAGES = ["view_inboundmessage"]
ADMIN = [
    *EDITOR,
    *READ_MESSAGES,
    "change_custommenu",
    "view_custommenu",
    "view_menupush",
    "change_accountsettings",
    "view_accountsettings",
]
GROUPS = {"编辑": [*EDITOR, *READ_MESSAGES], "留言管理员": READ_MESSAGES, "管理员": ADMIN}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("wechat")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="wechat", codename__in=codenames)
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=list(GROUPS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="wechat"))


class Migration(migrations.Migration):
    dependencies = [
        ("wechat", "0003_custom_menu"),
        ("content", "0002_editorial_groups_and_workflow"),
        ("audience", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
