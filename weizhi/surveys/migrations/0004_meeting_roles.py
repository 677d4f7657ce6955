"""Who runs meeting check-in: 编辑 and 管理员, and a 支部书记 for their own meetings (the
lists on the host screen show only the members each user may see)."""

from django.db import migrations

MANAGE = ["add_meeting", "change_meeting", "delete_meeting", "view_meeting"]
PERMS = {
    "编辑": MANAGE,
    "管理员": MANAGE,
    "支部书记": ["add_meeting", "change_meeting", "view_meeting"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in PERMS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="surveys", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(PERMS)):
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="surveys", codename__contains="meeting"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0003_meeting"),
        ("surveys", "0002_survey_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
