"""Who works with surveys: 编辑 and 管理员 build them and see every result; a 支部书记 sees
the list and the named responses of their own subtree (the scoping is in results.py)."""

from django.db import migrations

MANAGE = ["add_survey", "change_survey", "delete_survey", "view_survey", "view_results"]
PERMS = {"编辑": MANAGE, "管理员": MANAGE, "支部书记": ["view_survey", "view_results"]}


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
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="surveys"))


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("audience", "0003_roles"),
        ("content", "0002_editorial_groups_and_workflow"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
