"""Who works the queue: 留言管理员, 编辑 and 管理员 see and decide; a 支部书记 sees the
contributions of their own subtree (the scoping is in moderation/scope.py)."""

from django.db import migrations

PERMS = {
    "留言管理员": ["view_item", "moderate_item"],
    "编辑": ["view_item", "moderate_item"],
    "管理员": ["view_item", "moderate_item"],
    "支部书记": ["view_item"],
}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for name, codenames in PERMS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            access_admin,
            *Permission.objects.filter(
                content_type__app_label="moderation", codename__in=codenames
            ),
        )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=list(PERMS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="moderation"))


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("audience", "0003_roles"),
        ("content", "0002_editorial_groups_and_workflow"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
