"""The review screens (三审三校): the reviewer's own decision is the main button, a page in
review cannot be published around the workflow, and every step ends with a message that says
where the page went, on a screen the reviewer may still see."""

from django.contrib import messages
from django.shortcuts import redirect
from wagtail import hooks

WORKFLOW_FIRST = ("approve", "reject")


@hooks.register("construct_page_action_menu")
def reviewer_decides_first(menu_items: list, request, context: dict) -> None:
    page = context.get("page")
    if page is None or page.pk is None:
        return
    # 发布 from the editor skips 初审/复审/终审: only a superuser keeps it, for emergencies.
    if not request.user.is_superuser and page.get_workflow() is not None:
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]
    decisions = [item for item in menu_items if item.name in WORKFLOW_FIRST]
    if decisions:
        decisions.sort(key=lambda item: WORKFLOW_FIRST.index(item.name))
        rest = [item for item in menu_items if item not in decisions]
        menu_items[:] = [*decisions, *rest]


@hooks.register("after_edit_page")
def say_where_the_page_went(request, page):
    if not request.POST.get("action-workflow-action"):
        return None
    page.refresh_from_db()
    title = page.get_admin_display_title()
    action = request.POST.get("workflow-action-name")
    task = page.current_workflow_task
    if action == "reject":
        message = f"已退回《{title}》，作者修改后可重新提交。"
    elif action == "approve" and task is not None:
        message = f"已批准《{title}》，稿件转入「{task.name}」。"
    elif action == "approve" and page.live and not page.has_unpublished_changes:
        message = f"已批准并发布《{title}》，读者现在可以看到它。"
    else:
        message = f"已处理《{title}》的审核。"
    messages.success(request, message)
    # A reviewer without page permissions could not open the explorer Wagtail sends them to.
    if not page.get_parent().permissions_for_user(request.user).can_edit():
        return redirect("wagtailadmin_home")
    return None
