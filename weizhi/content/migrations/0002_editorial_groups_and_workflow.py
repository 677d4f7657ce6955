"""The editorial groups with least-privilege permissions, and the three-step review.

Editors write and submit; 初审, 复审 and 终审 each approve or send back with a comment;
the last approval publishes. Only 管理员 may publish directly.
"""

from django.db import migrations

REVIEW_STEPS = ["初审", "复审", "终审"]
EDITOR = "编辑"
ADMIN = "管理员"
WORKFLOW = "三审三校"

EDITOR_PAGE_PERMS = ["add_page", "change_page", "lock_page", "unlock_page"]
ADMIN_PAGE_PERMS = [*EDITOR_PAGE_PERMS, "publish_page", "bulk_delete_page"]
MEDIA_PERMS = {
    "wagtailimages": ["add_image", "change_image", "choose_image"],
    "wagtaildocs": ["add_document", "change_document", "choose_document"],
}
ADMIN_EXTRA = {
    "wagtailimages": ["delete_image"],
    "wagtaildocs": ["delete_document"],
    "wagtailcore": [
        "add_workflow",
        "change_workflow",
        "delete_workflow",
        "add_task",
        "change_task",
        "delete_task",
    ],
    "auth": ["add_user", "change_user", "delete_user"],
    "wagtailredirects": ["add_redirect", "change_redirect", "delete_redirect"],
}


def _perm(apps, app_label: str, codename: str):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def create(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for config in apps.get_app_configs():
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None

    Group = apps.get_model("auth", "Group")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    access_admin = _perm(apps, "wagtailadmin", "access_admin")
    root_page = Page.objects.get(depth=1)
    root_collection = Collection.objects.get(depth=1)

    def group(name: str, page_perms: list[str], media: dict[str, list[str]]):
        g, _ = Group.objects.get_or_create(name=name)
        g.permissions.add(access_admin)
        for codename in page_perms:
            GroupPagePermission.objects.get_or_create(
                group=g, page=root_page, permission=_perm(apps, "wagtailcore", codename)
            )
        for app_label, codenames in media.items():
            for codename in codenames:
                GroupCollectionPermission.objects.get_or_create(
                    group=g, collection=root_collection, permission=_perm(apps, app_label, codename)
                )
        return g

    group(EDITOR, EDITOR_PAGE_PERMS, MEDIA_PERMS)
    admin = group(
        ADMIN, ADMIN_PAGE_PERMS, {k: v + ADMIN_EXTRA.get(k, []) for k, v in MEDIA_PERMS.items()}
    )
    for app_label in ("wagtailcore", "auth", "wagtailredirects"):
        for codename in ADMIN_EXTRA[app_label]:
            admin.permissions.add(_perm(apps, app_label, codename))

    task_type = ContentType.objects.get_for_model(GroupApprovalTask)
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW, defaults={"active": True})
    for order, step in enumerate(REVIEW_STEPS):
        # The last approval publishes the page, with the final reviewer's permission.
        page_perms = ["publish_page"] if step == REVIEW_STEPS[-1] else []
        choose = {"wagtailimages": ["choose_image"], "wagtaildocs": ["choose_document"]}
        reviewers = group(step, page_perms, choose)
        task = GroupApprovalTask.objects.filter(name=step).first()
        if task is None:
            task = GroupApprovalTask.objects.create(name=step, active=True, content_type=task_type)
        task.groups.add(reviewers)
        WorkflowTask.objects.get_or_create(
            workflow=workflow, task=task, defaults={"sort_order": order}
        )
    WorkflowPage.objects.update_or_create(page=root_page, defaults={"workflow": workflow})

    # Wagtail's own starter groups and workflow grant more than our roles allow and would
    # show English names beside ours; a fresh installation has no users in them.
    Group.objects.filter(name__in=["Editors", "Moderators"], user__isnull=True).delete()
    Workflow.objects.filter(name="Moderators approval").exclude(pk=workflow.pk).delete()
    Task = apps.get_model("wagtailcore", "Task")
    Task.objects.filter(name="Moderators approval").exclude(
        pk__in=workflow.workflow_tasks.values("task")
    ).delete()


def remove(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    Task = apps.get_model("wagtailcore", "Task")
    Workflow.objects.filter(name=WORKFLOW).delete()
    Task.objects.filter(name__in=REVIEW_STEPS).delete()
    Group.objects.filter(name__in=[EDITOR, ADMIN, *REVIEW_STEPS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("content", "0001_initial"),
        ("wagtailcore", "0001_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailimages", "0001_initial"),
        ("wagtaildocs", "0001_initial"),
        ("wagtailredirects", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, remove)]
