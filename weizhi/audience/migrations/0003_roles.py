"""The audience roles: 支部书记 reads (and exports) its own subtree only — the scoping is in
the admin querysets, the group just grants the view permissions; 留言管理员 gets its group
now and its inbox permissions with the engagement app; 系统管理员 manages the whole roster."""

from django.db import migrations

SECRETARY = "支部书记"
MODERATOR = "留言管理员"
SYSADMIN = "系统管理员"

AUDIENCE_MODELS = ["member", "branch", "roletag", "follower", "followertag", "bindingrequest"]
PERMS = {
    SECRETARY: ["view_member", "view_branch"],
    MODERATOR: ["view_follower"],
    SYSADMIN: [
        *(
            f"{verb}_{model}"
            for model in AUDIENCE_MODELS
            for verb in ("add", "change", "delete", "view")
        ),
        "view_auditentry",
        "view_full_phone",
        "import_member",
    ],
}


def create(apps, schema_editor):
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
        group.permissions.add(access_admin)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="audience", codename__in=codenames)
        )


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(PERMS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audience", "0002_roster"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, remove)]
