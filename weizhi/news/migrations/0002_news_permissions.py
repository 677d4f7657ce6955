"""Editors and 管理员 keep the list of feeds and repost its items; both see the items."""

from django.db import migrations

FEEDS = ["add_feed", "change_feed", "delete_feed", "view_feed", "view_feeditem"]
GROUPS = {"编辑": FEEDS, "管理员": FEEDS}


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("news")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="news", codename__in=codenames)
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=list(GROUPS)):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="news"))


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0001_feeds"),
        ("content", "0002_editorial_groups_and_workflow"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
