"""The inbox: every message reaches an item, every transition is recorded, every reply says
who sent it and whether the channel took it, and each role sees only its own items."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from tests.test_audience_support import PASSWORD, member, secretary_of, tree, user_in
from weizhi.audience.models import Follower
from weizhi.audience.services import set_member_password
from weizhi.inbox import channels, processing, services
from weizhi.inbox.models import Department, Item, Message, Notification, Snippet, Status
from weizhi.inbox.services import InboxError

pytestmark = pytest.mark.django_db
MEMBER_PASSWORD = "Secret-pass-2026"


@pytest.fixture(autouse=True)
def senders():
    """The senders the apps registered at start-up, as they were after each test."""
    before = dict(channels._senders)
    yield
    channels._senders.clear()
    channels._senders.update(before)


@pytest.fixture
def branches():
    return tree()


@pytest.fixture
def wang(branches):
    return member(branches["first"], "1001", name="王芳")


@pytest.fixture
def moderator():
    return user_in("留言管理员", "moderator")


def sign_in(client, m) -> None:
    set_member_password(m, MEMBER_PASSWORD)
    response = client.post(
        reverse("audience:login"),
        {"employee_number": m.employee_number, "password": MEMBER_PASSWORD},
    )
    assert response.status_code == 302


def admin_client(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def committed(call, *args, **kwargs):
    """Run a service and then what it left for on_commit (its tasks run inline in tests)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return call(*args, **kwargs)


def actions(item: Item) -> list[str]:
    return list(item.transitions.values_list("action", flat=True))


# Arrival and threading


def test_a_message_becomes_a_new_item_with_a_first_response_due_time(wang):
    message = services.receive(wang, channel="web", text="请问体检什么时候开始？")
    item = message.item
    assert item.status == Status.NEW and item.member == wang and item.channel == "web"
    assert item.due_at - item.created_at == timedelta(hours=24)
    assert actions(item) == ["receive"]


def test_classification_runs_on_arrival_as_a_task(wang):
    # Tests run tasks inline (the immediate backend): the item is classified on commit.
    message = committed(services.receive, wang, channel="web", text="请问体检什么时候开始？")
    message.refresh_from_db()
    assert message.category == "question" and message.classified_at is not None
    assert Item.objects.get().category == "question"


def test_messages_of_one_person_thread_into_their_open_item(wang, branches):
    first = services.receive(wang, channel="web", text="宿舍没热水了").item
    second = services.receive(wang, channel="web", text="补充：三楼整层都没有").item
    other = services.receive(member(branches["second"], "1002"), channel="web", text="你好").item
    assert first == second != other
    assert first.messages.count() == 2 and actions(first) == ["receive", "append"]


def test_writing_again_after_a_reply_puts_the_item_back_in_hand(wang, moderator):
    item = services.receive(wang, channel="web", text="宿舍没热水了").item
    services.reply(item, by=moderator, text="已通知后勤。")
    services.receive(wang, channel="web", text="还是没有")
    item.refresh_from_db()
    assert item.status == Status.NEW


def test_writing_again_soon_after_resolution_reopens_the_item(wang, moderator):
    item = services.receive(wang, channel="web", text="宿舍没热水了").item
    services.reply(item, by=moderator, text="已修好。")
    services.resolve(item, by=moderator)
    again = services.receive(wang, channel="web", text="又坏了").item
    item.refresh_from_db()
    assert again == item and item.status == Status.NEW and item.resolved_at is None
    assert "reopen" in actions(item)


def test_writing_long_after_resolution_starts_a_new_item(wang, moderator):
    item = services.receive(wang, channel="web", text="宿舍没热水了").item
    services.reply(item, by=moderator, text="已修好。")
    services.resolve(item, by=moderator)
    later = timezone.now() + timedelta(days=30)
    new = services.receive(wang, channel="web", text="想问问年休假", received_at=later).item
    assert new != item and Item.objects.count() == 2


def test_a_wechat_retry_with_the_same_message_id_is_stored_once(wang):
    follower = Follower.objects.create(openid="o-wang", member=wang)
    a = services.receive(follower, channel="wechat", text="在吗", external_id="6100000001")
    b = services.receive(follower, channel="wechat", text="在吗", external_id="6100000001")
    assert a.pk == b.pk and Message.objects.count() == 1
    assert a.item.member == wang and a.item.follower == follower


def test_an_empty_voice_or_image_message_is_kept_with_its_kind(wang):
    follower = Follower.objects.create(openid="o-x")
    message = services.receive(follower, channel="wechat", kind="image", text="")
    assert message.text == "[image]" and message.item.member is None


# Dispatch, reply, resolve


def test_dispatch_to_a_department_sets_the_handler_and_due_time(wang, moderator):
    item = services.receive(wang, channel="web", text="食堂太咸").item
    dept = Department.objects.create(name="后勤服务中心")
    due = timezone.now() + timedelta(days=2)
    item = services.assign(item, by=moderator, department=dept, due_at=due, note="请核实")
    assert item.status == Status.ASSIGNED and item.department == dept and item.due_at == due
    step = item.transitions.get(action="assign")
    assert step.by == moderator and step.from_status == "new" and "后勤服务中心" in step.detail


def test_dispatch_needs_a_handler_and_a_due_time_in_the_future(wang, moderator):
    item = services.receive(wang, channel="web", text="食堂太咸").item
    with pytest.raises(InboxError, match="请选择"):
        services.assign(item, by=moderator)
    dept = Department.objects.create(name="后勤")
    with pytest.raises(InboxError, match="晚于现在"):
        services.assign(item, by=moderator, department=dept, due_at=timezone.now())


def test_a_reply_records_its_sender_and_the_channel_accepting_it(wang, moderator):
    item = services.receive(wang, channel="web", text="食堂太咸").item
    reply = committed(services.reply, item, by=moderator, text="已转告食堂。")
    reply.refresh_from_db()
    item.refresh_from_db()
    assert reply.sent_by == moderator and reply.delivery == Message.Delivery.ACCEPTED
    assert "我的留言" in reply.delivery_detail
    assert item.status == Status.REPLIED and item.first_reply_at == reply.at


def test_a_wechat_reply_without_a_wechat_sender_is_recorded_as_not_delivered(wang, moderator):
    channels.unregister_sender("wechat")  # the WeChat app registers one at start-up
    follower = Follower.objects.create(openid="o-wang", member=wang)
    item = services.receive(follower, channel="wechat", text="你好").item
    reply = committed(services.reply, item, by=moderator, text="您好。")
    reply.refresh_from_db()
    assert reply.delivery == Message.Delivery.REFUSED and "尚未接入" in reply.delivery_detail


def test_a_registered_sender_gets_the_reply_and_the_last_inbound_time(wang, moderator):
    seen = []

    def wechat(reply: channels.OutgoingReply) -> channels.Delivery:
        seen.append(reply)
        now = timezone.now()
        if not channels.within_service_window(reply.last_inbound_at, now):
            return channels.Delivery(False, "超过48小时，无法发送客服消息")
        return channels.Delivery(True, "微信已接收")

    channels.register_sender("wechat", wechat)
    try:
        follower = Follower.objects.create(openid="o-wang", member=wang)
        old = timezone.now() - timedelta(hours=49)
        item = services.receive(follower, channel="wechat", text="你好", received_at=old).item
        late = committed(services.reply, item, by=moderator, text="您好。")
        services.receive(follower, channel="wechat", text="还在吗")
        fresh = committed(services.reply, item, by=moderator, text="在的。")
    finally:
        channels.unregister_sender("wechat")
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert seen[0].openid == "o-wang" and seen[0].text == "您好。"
    assert late.delivery == "refused" and "48" in late.delivery_detail
    assert fresh.delivery == "accepted"


def test_a_failing_sender_is_logged_and_recorded_never_raised(wang, moderator):
    def broken(reply):
        raise ConnectionError("down")

    channels.register_sender("wechat", broken)
    try:
        follower = Follower.objects.create(openid="o-1", member=wang)
        item = services.receive(follower, channel="wechat", text="你好").item
        reply = committed(services.reply, item, by=moderator, text="您好。")
    finally:
        channels.unregister_sender("wechat")
    reply.refresh_from_db()
    assert reply.delivery == "refused" and "出错" in reply.delivery_detail


def test_resolving_needs_a_reply_first(wang, moderator):
    item = services.receive(wang, channel="web", text="问个事").item
    with pytest.raises(InboxError, match="先答复"):
        services.resolve(item, by=moderator)
    services.reply(item, by=moderator, text="答复。")
    item = services.resolve(item, by=moderator)
    assert item.status == Status.RESOLVED and item.resolution_round == 1
    with pytest.raises(InboxError, match="已办结"):
        services.reply(item, by=moderator, text="再说一句")


def test_notes_and_tags_stay_internal_and_are_recorded(client, wang, moderator):
    item = services.receive(wang, channel="web", text="问个事").item
    services.add_note(item, by=moderator, text="此人上周也问过")
    services.set_tags(item, ["后勤", "宿舍"], by=moderator)
    assert sorted(t.name for t in item.tags.all()) == ["后勤", "宿舍"]
    sign_in(client, wang)
    page = client.get(reverse("inbox:mine")).content.decode()
    assert "此人上周也问过" not in page and "后勤" not in page


# Satisfaction


def resolved_item(wang, moderator) -> Item:
    item = services.receive(wang, channel="web", text="问个事").item
    services.reply(item, by=moderator, text="答复。")
    return services.resolve(item, by=moderator)


def test_a_satisfied_rating_through_the_signed_link_is_recorded_once(client, wang, moderator):
    item = resolved_item(wang, moderator)
    url = reverse("inbox:rate", args=[services.rating_token(item)])
    assert "基本满意" in client.get(url).content.decode()
    client.post(url, {"value": "satisfied"})
    item.refresh_from_db()
    assert item.satisfaction == "satisfied" and item.status == Status.RESOLVED
    assert "满意" in client.post(url, {"value": "unsatisfied"}).content.decode()
    item.refresh_from_db()
    assert item.satisfaction == "satisfied"


def test_unsatisfied_reopens_the_item_for_its_handler(client, wang, moderator):
    item = services.receive(wang, channel="web", text="问个事").item
    dept = Department.objects.create(name="后勤")
    services.assign(item, by=moderator, department=dept)
    services.reply(item, by=moderator, text="答复。")
    item = services.resolve(item, by=moderator)
    client.post(reverse("inbox:rate", args=[services.rating_token(item)]), {"value": "unsatisfied"})
    item.refresh_from_db()
    assert item.status == Status.ASSIGNED and item.priority == 1
    assert actions(item)[-2:] == ["rate", "reopen"]


def test_a_forged_or_stale_rating_link_is_refused(client, wang, moderator):
    item = resolved_item(wang, moderator)
    token = services.rating_token(item)
    assert client.get(reverse("inbox:rate", args=["1.1:forged"])).status_code == 404
    services.receive(wang, channel="web", text="又有问题")  # reopens: the old link is stale
    assert client.get(reverse("inbox:rate", args=[token])).status_code == 404
    assert (
        client.post(reverse("inbox:rate", args=[token]), {"value": "satisfied"}).status_code == 404
    )


# Escalation


def test_overdue_items_escalate_once_to_the_moderators(wang, moderator):
    item = services.receive(wang, channel="web", text="食堂太咸").item
    dept = Department.objects.create(name="后勤")
    services.assign(item, by=moderator, department=dept, due_at=timezone.now() + timedelta(hours=1))
    assert processing.escalate_overdue() == 0
    later = timezone.now() + timedelta(hours=2)
    assert processing.escalate_overdue(later) == 1
    assert processing.escalate_overdue(later) == 0
    item.refresh_from_db()
    assert item.escalated_at is not None and item.priority == 1
    note = Notification.objects.get(user=moderator)
    assert "超时督办" in note.text and "后勤" in note.text


def test_a_replied_item_is_not_overdue(wang, moderator):
    item = services.receive(wang, channel="web", text="食堂太咸").item
    services.reply(item, by=moderator, text="已转告。")
    assert processing.escalate_overdue(timezone.now() + timedelta(days=5)) == 0


def test_the_escalation_job_is_on_the_schedule():
    from weizhi.core.schedule import default_jobs

    assert "escalate_overdue_items" in {job.task.name for job in default_jobs()}


# Member pages


def test_a_member_leaves_a_message_and_sees_the_reply_on_my_messages(client, wang, moderator):
    sign_in(client, wang)
    response = client.post(reverse("inbox:write"), {"text": "请问年休假怎么查？"})
    assert response.status_code == 302 and response.url == reverse("inbox:mine")
    item = Item.objects.get(member=wang)
    services.reply(item, by=moderator, text="在人事系统里查询。")
    page = client.get(reverse("inbox:mine")).content.decode()
    assert "请问年休假怎么查？" in page and "在人事系统里查询。" in page and "党委办答复" in page


def test_my_messages_offers_the_rating_after_resolution(client, wang, moderator):
    item = resolved_item(wang, moderator)
    sign_in(client, wang)
    page = client.get(reverse("inbox:mine")).content.decode()
    assert reverse("inbox:rate", args=[services.rating_token(item)]) in page


def test_the_member_pages_need_a_signed_in_member(client):
    for name in ("inbox:mine", "inbox:write"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("audience:login") in response.url


def test_a_member_sees_only_their_own_messages(client, wang, branches):
    other = member(branches["second"], "1002", name="李四")
    services.receive(other, channel="web", text="李四的秘密留言")
    sign_in(client, wang)
    assert "李四的秘密留言" not in client.get(reverse("inbox:mine")).content.decode()


def test_an_empty_or_too_long_message_gets_a_chinese_error_and_nothing_is_stored(client, wang):
    sign_in(client, wang)
    empty = client.post(reverse("inbox:write"), {"text": "  "})
    long = client.post(reverse("inbox:write"), {"text": "长" * 1001})
    assert "请写下留言内容" in empty.content.decode()
    assert "不能超过 1000 字" in long.content.decode()
    assert not Item.objects.exists()


def test_user_text_is_escaped_on_the_pages(client, wang, moderator):
    sign_in(client, wang)
    client.post(reverse("inbox:write"), {"text": "<script>alert(1)</script>"})
    assert "<script>alert(1)" not in client.get(reverse("inbox:mine")).content.decode()
    admin_client(client, moderator)
    item = Item.objects.get()
    page = client.get(reverse("inbox_admin_item", args=[item.pk])).content.decode()
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page


def test_writing_is_rate_limited(client, wang):
    sign_in(client, wang)
    for n in range(10):
        assert client.post(reverse("inbox:write"), {"text": f"第{n}条"}).status_code == 302
    refused = client.post(reverse("inbox:write"), {"text": "第11条"})
    assert refused.status_code == 429 and "太频繁" in refused.content.decode()
    assert Message.objects.count() == 10


def test_a_post_without_a_csrf_token_is_refused(wang):
    from django.test import Client

    set_member_password(wang, MEMBER_PASSWORD)
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.get(reverse("audience:login"))
    token = csrf_client.cookies["csrftoken"].value
    signed_in = csrf_client.post(
        reverse("audience:login"),
        {"employee_number": "1001", "password": MEMBER_PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert signed_in.status_code == 302
    assert csrf_client.get(reverse("inbox:write")).status_code == 200
    response = csrf_client.post(reverse("inbox:write"), {"text": "x"})
    assert response.status_code == 403
    assert not Item.objects.exists()


# The admin inbox, per role


def test_the_moderator_dispatches_and_replies_with_a_snippet(client, wang, moderator):
    item = services.receive(wang, channel="web", text="食堂太咸").item
    dept = Department.objects.create(name="后勤服务中心")
    snippet = Snippet.objects.create(title="已转办", text="您的留言已转有关部门办理，请耐心等待。")
    admin_client(client, moderator)
    url = reverse("inbox_admin_item", args=[item.pk])
    page = client.get(url).content.decode()
    assert "派单" in page and "已转办" in page
    client.post(url, {"action": "assign", "department": dept.pk, "note": "请三天内答复"})
    client.post(url, {"action": "reply", "snippet": snippet.pk, "text": ""})
    item.refresh_from_db()
    assert item.department == dept and item.status == Status.REPLIED
    assert item.messages.get(direction="out").text == snippet.text


def test_an_empty_reply_in_the_admin_gets_a_chinese_error(client, wang, moderator):
    item = services.receive(wang, channel="web", text="食堂太咸").item
    admin_client(client, moderator)
    response = client.post(reverse("inbox_admin_item", args=[item.pk]), {"action": "reply"})
    assert response.status_code == 400 and "请填写答复内容" in response.content.decode()


def test_a_secretary_sees_only_items_dispatched_into_their_subtree(
    client, wang, branches, moderator
):
    secretary, _ = secretary_of(branches["general"], "sec")
    inside = services.receive(wang, channel="web", text="派给第一支部的").item
    outside = services.receive(
        member(branches["third"], "3001"), channel="web", text="派给第三支部的"
    ).item
    undispatched = services.receive(
        member(branches["second"], "2001"), channel="web", text="没派"
    ).item
    services.assign(inside, by=moderator, branch=branches["first"])
    services.assign(outside, by=moderator, branch=branches["third"])
    admin_client(client, secretary)
    listing = client.get(reverse("inbox_admin_list")).content.decode()
    assert "派给第一支部的" in listing and "派给第三支部的" not in listing and "没派" not in listing
    assert client.get(reverse("inbox_admin_item", args=[outside.pk])).status_code == 404
    assert client.get(reverse("inbox_admin_item", args=[undispatched.pk])).status_code == 404
    # A handler answers but does not dispatch.
    url = reverse("inbox_admin_item", args=[inside.pk])
    assert "承办支部" not in client.get(url).content.decode()
    refused = client.post(url, {"action": "assign", "branch": branches["third"].pk})
    assert refused.status_code == 403 or refused.url == "/admin/"
    inside.refresh_from_db()
    assert inside.branch == branches["first"]
    client.post(url, {"action": "reply", "text": "支部已了解，周五前答复。"})
    inside.refresh_from_db()
    assert inside.status == Status.REPLIED and inside.messages.last().sent_by == secretary


def test_a_department_handler_sees_their_departments_items(client, wang, moderator):
    handler = user_in("留言承办人", "handler")
    dept = Department.objects.create(name="后勤")
    dept.handlers.add(handler)
    mine = services.receive(wang, channel="web", text="后勤的事").item
    services.assign(mine, by=moderator, department=dept)
    admin_client(client, handler)
    assert "后勤的事" in client.get(reverse("inbox_admin_list")).content.decode()


@pytest.mark.parametrize("role", ["编辑", "初审", "管理员", None])
def test_other_roles_and_strangers_cannot_reach_the_inbox(client, wang, role):
    item = services.receive(wang, channel="web", text="秘密").item
    if role is None:
        from django.contrib.auth import get_user_model

        get_user_model().objects.create_user(username="stranger", password=PASSWORD)
        client.login(username="stranger", password=PASSWORD)
    else:
        if not Group.objects.filter(name=role).exists():
            pytest.skip(f"no group {role}")
        admin_client(client, user_in(role, "someone"))
    for url in (
        reverse("inbox_admin_list"),
        reverse("inbox_admin_item", args=[item.pk]),
        reverse("inbox_admin_dashboard"),
    ):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "秘密" not in response.content.decode()


def test_the_admin_list_makes_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, branches, moderator
):
    for n in range(12):
        services.receive(member(branches["first"], f"9{n:03d}"), channel="web", text=f"留言{n}")
    admin_client(client, moderator)
    client.get(reverse("inbox_admin_list"))
    with django_assert_max_num_queries(20):
        assert client.get(reverse("inbox_admin_list")).status_code == 200
