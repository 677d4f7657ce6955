"""数据统计: the editorial groups see every unit; a 支部书记 sees their subtree (scoped in the
views); 留言管理员 and everyone else see no dashboard."""

from django.db import migrations

EVERY_UNIT = ["view_dashboard", "view_all_units"]
PERMS = {
    "编辑": EVERY_UNIT,
    "管理员": EVERY_UNIT,
    "初审": EVERY_UNIT,
    "复审": EVERY_UNIT,
    "终审": EVERY_UNIT,
    "支部书记": ["view_dashboard"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("analytics")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in PERMS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="analytics", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="analytics", codename__in=EVERY_UNIT)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(PERMS)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_activity_events"),
        ("content", "0002_editorial_groups_and_workflow"),
        ("audience", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
