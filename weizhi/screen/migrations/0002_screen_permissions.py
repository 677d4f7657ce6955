"""Who keeps the lexicon: 管理员 and 留言管理员 (the people who moderate what it flags)."""

from django.db import migrations

GROUPS = ["管理员", "留言管理员"]
MODELS = ["category", "lexicon", "term", "allowedphrase"]
CODENAMES = [f"{verb}_{m}" for m in MODELS for verb in ("add", "change", "delete", "view")]


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(
        content_type__app_label="screen", codename__in=[*CODENAMES, "import_terms"]
    )
    access_admin = Permission.objects.get(
        content_type__app_label="wagtailadmin", codename="access_admin"
    )
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(access_admin, *perms)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="screen"))


class Migration(migrations.Migration):
    dependencies = [
        ("screen", "0001_initial"),
        ("audience", "0003_roles"),
        ("content", "0002_editorial_groups_and_workflow"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
