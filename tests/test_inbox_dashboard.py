"""The inbox dashboard: open items by age, overdue, median time to first reply, satisfaction,
by category, department and branch; a branch secretary sees only their subtree's items."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tests.test_audience_support import PASSWORD, member, secretary_of, tree, user_in
from weizhi.inbox import processing, services, stats
from weizhi.inbox.models import Department, Item, Message
from weizhi.inbox.scope import visible_items

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    branches = tree()
    moderator = user_in("留言管理员", "moderator")
    dept = Department.objects.create(name="后勤服务中心")
    now = timezone.now()
    people = [member(branches["first"], f"10{n:02d}") for n in range(4)]
    people.append(member(branches["third"], "3001"))
    items = []
    for n, (person, hours) in enumerate(zip(people, [1, 30, 100, 200, 2], strict=True)):
        at = now - timedelta(hours=hours)
        items.append(
            services.receive(person, channel="web", text=f"请问第{n}件事？", received_at=at).item
        )
    services.assign(items[0], by=moderator, branch=branches["first"])
    services.assign(items[4], by=moderator, branch=branches["third"])
    services.assign(items[1], by=moderator, department=dept)
    for item, hours in ((items[1], 2), (items[2], 6)):
        services.reply(item, by=moderator, text="答复")
        Item.objects.filter(pk=item.pk).update(
            first_reply_at=item.created_at + timedelta(hours=hours)
        )
    services.resolve(items[2], by=moderator)
    services.rate(Item.objects.get(pk=items[2].pk), "basic")
    return {"branches": branches, "moderator": moderator, "items": items, "dept": dept}


def test_the_numbers_for_the_moderator(world):
    s = stats.dashboard(visible_items(world["moderator"]))
    assert s["total"] == 5 and s["open"] == 4
    assert dict(s["ages"]) == {"1天内": 2, "1–3天": 1, "3–7天": 0, "7天以上": 1}
    # Unanswered past their first-response time: the 200-hour-old item (the 30-hour one has
    # been answered).
    assert s["overdue"] == 1
    assert s["median_first_reply_hours"] == 4.0
    assert dict(s["satisfaction"])["基本满意"] == 1 and s["rated"] == 1
    assert {r["name"]: r["total"] for r in s["by_department"]} == {"后勤服务中心": 1, "未派部门": 4}
    assert {r["name"]: r["open"] for r in s["by_branch"]} == {
        "第一党支部": 1,
        "第三党支部": 1,
        "未派支部": 2,
    }
    assert {r["category"] for r in s["by_category"]} <= {"", "question"}


def test_a_secretary_sees_their_subtrees_numbers_only(client, world):
    secretary, _ = secretary_of(world["branches"]["general"], "sec")
    s = stats.dashboard(visible_items(secretary))
    assert s["total"] == 1 and [r["name"] for r in s["by_branch"]] == ["第一党支部"]
    client.login(username="sec", password=PASSWORD)
    page = client.get(reverse("inbox_admin_dashboard")).content.decode()
    assert "只统计派给您" in page and 'data-n="total">1<' in page
    assert "第三党支部" not in page


def test_the_moderator_dashboard_page_in_chinese(client, world):
    client.login(username="moderator", password=PASSWORD)
    page = client.get(reverse("inbox_admin_dashboard")).content.decode()
    assert 'data-n="total">5<' in page and "首次答复用时" in page and "4.0 小时" in page


def test_the_demo_inbox_loads_twice_with_a_few_early_warnings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    out = io.StringIO()
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("load_demo_inbox", stdout=out)
    count = Item.objects.count()
    call_command("load_demo_inbox", stdout=out)
    assert Item.objects.count() == count >= 12
    assert 3 <= Item.objects.filter(warn=True).count() <= 6
    statuses = set(Item.objects.values_list("status", flat=True))
    assert statuses == {"new", "assigned", "replied", "resolved"}
    assert Item.objects.filter(satisfaction="unsatisfied", status="assigned").exists()
    assert not Message.objects.filter(direction="out", delivery="pending").exists()
    assert processing.escalate_overdue() == 0  # the demo already escalated what was overdue
