"""The three-step review (初审 → 复审 → 终审) that every story goes through."""

import time
from datetime import timedelta

from django.utils import timezone
from wagtail.models import Page, PageLogEntry, WorkflowState

from tests import factories
from tests.base import user_in
from weizhi.core.tasks import publish_scheduled_pages


def act(page: Page, user, action: str, comment: str = "") -> None:
    state = page.current_workflow_task_state
    assert state is not None, "the page is not in review"
    assert any(
        name == action for name, _label, _modal in state.task.specific.get_actions(page, user)
    )
    state.task.specific.on_action(state, user, action, comment=comment)


def submit(page: Page, editor) -> WorkflowState:
    page.save_revision(user=editor)
    return page.get_workflow().start(page, editor)


def test_every_page_is_under_the_three_step_review(home):
    workflow = factories.column().get_workflow()
    assert workflow.name == "三审三校"
    assert [task.name for task in workflow.tasks] == ["初审", "复审", "终审"]


def test_an_editor_cannot_publish_directly(home):
    editor = user_in("编辑")
    perms = factories.column().permissions_for_user(editor)
    assert perms.can_add_subpage()
    assert not perms.can_publish()


def test_three_approvals_publish_the_article(home):
    editor, first, second, final = (user_in(g) for g in ("编辑", "初审", "复审", "终审"))
    page = factories.article(title="待审稿件", publish=False)
    submit(page, editor)
    for reviewer in (first, second):
        act(page, reviewer, "approve")
        page.refresh_from_db()
        assert not page.live
    # A reviewer of another step may not act on this one.
    assert not page.current_workflow_task_state.task.specific.get_actions(page, first)
    act(page, final, "approve")
    page.refresh_from_db()
    assert page.live
    assert PageLogEntry.objects.filter(page=page, action="wagtail.publish").exists()


def test_a_rejection_returns_the_page_to_the_editor_with_the_comment(home):
    editor, first, second = user_in("编辑"), user_in("初审"), user_in("复审")
    page = factories.article(publish=False)
    state = submit(page, editor)
    act(page, first, "approve")
    act(page, second, "reject", comment="第二段数据需核实")
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_NEEDS_CHANGES
    task_state = state.task_states.get(task__name="复审")
    assert task_state.get_comment() == "第二段数据需核实"
    page.refresh_from_db()
    assert not page.live
    # The editor may edit again and resubmit.
    assert page.permissions_for_user(editor).can_edit()


def test_a_scheduled_article_goes_live_when_its_time_comes(client, home):
    page = factories.article(title="定时稿件", publish=False)
    page.go_live_at = timezone.now() + timedelta(seconds=2)
    revision = page.save_revision()
    revision.publish()
    page.refresh_from_db()
    assert not page.live
    assert "定时稿件" not in client.get("/").content.decode()

    publish_scheduled_pages.enqueue()
    page.refresh_from_db()
    assert not page.live, "published before its time"

    time.sleep(2.2)
    publish_scheduled_pages.enqueue()
    page.refresh_from_db()
    assert page.live
    assert "定时稿件" in client.get("/").content.decode()
