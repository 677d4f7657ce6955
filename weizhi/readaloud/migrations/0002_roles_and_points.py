"""编辑 and 管理员 keep the series and clips and read the statistics; a 支部书记 reads the
statistics of their subtree. Two points rules: a daily check-in and an approved reading."""

from django.db import migrations

KEEPING = [f"{verb}_{model}" for model in ("series", "clip")
           for verb in ("add", "change", "delete", "view")]  # fmt: skip
PERMS = {
    "编辑": [*KEEPING, "view_reading", "view_readaloud_stats"],
    "管理员": [*KEEPING, "view_reading", "view_readaloud_stats"],
    "支部书记": ["view_readaloud_stats"],
}
RULES = [
    ("readaloud_checkin", "朗读打卡", 1, 1, "每天朗读一段党规党纪"),
    ("readaloud_approved", "朗读通过审核", 2, 4, "朗读经编辑审核通过"),
]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("readaloud")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in PERMS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="readaloud", codename__in=codenames)
        )
    Rule = apps.get_model("points", "Rule")
    for action, name, points, cap, note in RULES:
        Rule.objects.get_or_create(
            action=action, defaults={"name": name, "points": points, "daily_cap": cap, "note": note}
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="readaloud")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(PERMS)):
        group.permissions.remove(*perms)
    apps.get_model("points", "Rule").objects.filter(action__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("readaloud", "0001_initial"),
        ("points", "0002_rules_and_permissions"),
        ("content", "0002_editorial_groups_and_workflow"),
        ("audience", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
