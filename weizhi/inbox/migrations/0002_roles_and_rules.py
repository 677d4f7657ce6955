"""The inbox's roles and the classifier's starting rules.

留言管理员 manages every item, the quick replies, rules and departments; 支部书记 and the new
group 留言承办人 (department handlers) handle the items dispatched to them."""

from django.db import migrations

MODERATOR, SECRETARY, HANDLER = "留言管理员", "支部书记", "留言承办人"
MANAGED = ["snippet", "rule", "department", "tag"]
PERMS = {
    MODERATOR: [
        "manage_inbox",
        "handle_item",
        "view_item",
        *(f"{verb}_{model}" for model in MANAGED for verb in ("add", "change", "delete", "view")),
    ],
    SECRETARY: ["handle_item", "view_snippet"],
    HANDLER: ["handle_item", "view_snippet"],
}


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from weizhi.inbox.default_rules import DEFAULT_RULES

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
            *Permission.objects.filter(content_type__app_label="inbox", codename__in=codenames)
        )
    # Category rules are shown with the category's Chinese name.
    names = {
        "question": "咨询",
        "suggestion": "建议",
        "complaint": "投诉",
        "help": "求助",
        "praise": "表扬",
        "other": "其他",
    }
    Rule = apps.get_model("inbox", "Rule")
    if not Rule.objects.exists():
        Rule.objects.bulk_create(
            Rule(
                kind=r.kind,
                label=names.get(r.label, r.label) if r.kind == "category" else r.label,
                term=r.term,
                weight=r.weight,
                is_pattern=r.is_pattern,
                reason=r.reason,
            )
            for r in DEFAULT_RULES
        )


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=HANDLER).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("inbox", "0001_initial"),
        ("audience", "0003_roles"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create, remove)]
