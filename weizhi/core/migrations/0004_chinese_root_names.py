"""Chinese names for what Wagtail's own migrations create in English and the admin shows:
the root page (the page explorer's top), the root collection (images and documents), and
the placeholder welcome page (named in the site history when setup_site deletes it)."""

from django.db import migrations

NAMES = [
    ("Page", "title", "Root", "根目录"),
    ("Page", "draft_title", "Root", "根目录"),
    ("Collection", "name", "Root", "全部"),
    ("Page", "title", "Welcome to your new Wagtail site!", "初始占位页"),
    ("Page", "draft_title", "Welcome to your new Wagtail site!", "初始占位页"),
]


def rename(apps, schema_editor, backwards: bool = False) -> None:
    for model, field, english, chinese in NAMES:
        old, new = (chinese, english) if backwards else (english, chinese)
        apps.get_model("wagtailcore", model).objects.filter(**{field: old}).update(**{field: new})


def rename_back(apps, schema_editor) -> None:
    rename(apps, schema_editor, backwards=True)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_task_workers"),
        ("wagtailcore", "0097_baselogentry_uuid_action_timestamp_indexes"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]
