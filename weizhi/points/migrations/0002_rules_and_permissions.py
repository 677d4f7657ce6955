"""The first rules (editors change them in the admin) and who may do what: 编辑 and 管理员
set rules, read the ledger and deduct; 支部书记 reads the ledger of their subtree."""

from django.db import migrations

RULES = [
    ("read_article", "阅读文章", 1, 6, 30, "阅读一篇文章满 30 秒"),
    ("quiz_finish", "完成答题", 2, 6, 0, "完成一次答题活动"),
    ("quiz_full_score", "答题全对奖励", 2, 4, 0, "一次答题全部答对"),
    ("live_quiz", "现场竞答", 3, 6, 0, "参加一次现场竞答"),
]
PERMS = {
    "编辑": ["view_rule", "change_rule", "add_rule", "view_entry", "deduct_points"],
    "管理员": ["view_rule", "change_rule", "add_rule", "view_entry", "deduct_points"],
    "支部书记": ["view_entry"],
}


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    Rule = apps.get_model("points", "Rule")
    for action, name, points, cap, seconds, note in RULES:
        Rule.objects.get_or_create(
            action=action,
            defaults={"name": name, "points": points, "daily_cap": cap,
                      "min_seconds": seconds, "note": note},
        )  # fmt: skip
    config = apps.get_app_config("points")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in PERMS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="points", codename__in=codenames)
        )


def remove(apps, schema_editor):
    apps.get_model("points", "Rule").objects.filter(action__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("points", "0001_initial"),
        ("content", "0002_editorial_groups_and_workflow"),
        ("audience", "0003_roles"),
    ]

    operations = [migrations.RunPython(create, remove)]
