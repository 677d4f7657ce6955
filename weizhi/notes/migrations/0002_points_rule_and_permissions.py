"""The points rule for an approved note (editors change it in the admin), and who may do
what: 编辑 and 管理员 make notes into articles and read every branch's statistics; a 支部书记
reads the statistics of their subtree (stats.py scopes them)."""

from django.db import migrations

RULE = ("note_approved", "学习笔记通过", 5, 10, 0, "交一篇手写学习笔记并通过审核")
PERMS = {
    "编辑": ["view_note", "change_note"],
    "管理员": ["view_note", "change_note"],
    "支部书记": ["view_note"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    action, name, points, cap, seconds, note = RULE
    apps.get_model("points", "Rule").objects.get_or_create(
        action=action,
        defaults={"name": name, "points": points, "daily_cap": cap,
                  "min_seconds": seconds, "note": note},
    )  # fmt: skip
    config = apps.get_app_config("notes")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in PERMS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="notes", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    apps.get_model("points", "Rule").objects.filter(action=RULE[0]).delete()
    perms = apps.get_model("auth", "Permission").objects.filter(content_type__app_label="notes")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(PERMS)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("notes", "0001_initial"),
        ("points", "0002_rules_and_permissions"),
        ("audience", "0003_roles"),
        ("content", "0002_editorial_groups_and_workflow"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
