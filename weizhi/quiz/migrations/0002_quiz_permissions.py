"""编辑 and 管理员 keep the bank and the activities; 支部书记 reads attempts (of their subtree
only: the admin's querysets are scoped)."""

from django.db import migrations

EDITING = [f"{verb}_{model}" for model in ("question", "activity")
           for verb in ("add", "change", "delete", "view")]  # fmt: skip
PERMS = {
    "编辑": [*EDITING, "import_question", "view_attempt"],
    "管理员": [*EDITING, "import_question", "view_attempt"],
    "支部书记": ["view_attempt"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("quiz")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in PERMS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="quiz", codename__in=codenames)
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="quiz")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(PERMS)):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [
        ("quiz", "0001_initial"),
        ("content", "0002_editorial_groups_and_workflow"),
        ("audience", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
