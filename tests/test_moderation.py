"""The one moderation queue: states, the screen's marks, who decided when, the per-role wall
and the admin's list, filters and bulk decisions."""

import pytest
from django.urls import reverse

from tests.base import superuser
from tests.test_audience_support import member, secretary_of, tree, user_in
from weizhi.moderation import services
from weizhi.moderation.models import Action, Item, Kind, Source, State
from weizhi.screen import services as screen
from weizhi.screen.models import Category, Lexicon, Term

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_automaton():
    screen.forget()
    yield
    screen.forget()


@pytest.fixture
def branches():
    return tree()


@pytest.fixture
def lexicon():
    lexicon = Lexicon.objects.create(name="词库")
    Term.objects.create(lexicon=lexicon, text="赌博", category=Category.objects.create(name="违法"))
    return lexicon


def test_a_new_contribution_waits_and_a_hit_marks_it_without_hiding_it(branches, lexicon):
    wang = member(branches["first"], "1001", name="王芳")
    clean = services.enqueue(Kind.COMMENT, text="认真学习党章", member=wang)
    flagged = services.enqueue(Kind.COMMENT, text="有人网上赌 博", member=wang)
    assert clean.state == flagged.state == State.PENDING
    assert not clean.flagged and clean.author_name == "王芳"
    assert flagged.flagged and flagged.screen_terms == ["赌博"]
    assert flagged.screen_categories == ["违法"]
    assert list(Item.objects.pending()) == [flagged, clean]  # the flagged one first
    assert list(flagged.events.values_list("action", flat=True)) == [Action.SUBMITTED]


def test_approve_reject_and_feature_record_who_and_when(branches):
    editor = user_in("编辑", "editor")
    item = services.enqueue(Kind.SUBMISSION, text="一篇稿子", author_name="张三")
    item = services.approve(item, editor, "写得好")
    assert item.state == State.APPROVED and item.moderated_by == editor
    assert item.moderated_at is not None and item.reason == "写得好"
    item = services.set_featured(item, editor, True)
    assert item.featured
    with pytest.raises(services.ModerationError, match="请填写理由"):
        services.reject(item, editor, "  ")
    item = services.reject(item, editor, "与栏目无关")
    assert item.state == State.REJECTED and not item.featured
    actions = list(item.events.values_list("action", "user__username", "reason"))
    assert actions == [
        (Action.SUBMITTED, None, ""),
        (Action.APPROVED, "editor", "写得好"),
        (Action.FEATURED, "editor", ""),
        (Action.REJECTED, "editor", "与栏目无关"),
    ]


def test_featuring_a_waiting_item_approves_it_first(branches):
    item = services.enqueue(Kind.COMMENT, text="好")
    item = services.set_featured(item, user_in("留言管理员", "m"), True)
    assert item.state == State.APPROVED and item.featured


def test_a_hook_runs_inside_the_decision_and_a_failing_hook_undoes_it(branches):
    seen = []

    def hook(item, action):
        seen.append((item.pk, action))
        if item.text == "坏":
            raise RuntimeError("draft could not be made")

    services.on_decision(Kind.READING, hook)
    editor = user_in("编辑", "editor")
    good = services.enqueue(Kind.READING, text="好")
    bad = services.enqueue(Kind.READING, text="坏")
    services.approve(good, editor)
    with pytest.raises(RuntimeError):
        services.approve(bad, editor)
    bad.refresh_from_db()
    assert bad.state == State.PENDING and not bad.events.filter(action=Action.APPROVED).exists()
    assert seen == [(good.pk, Action.APPROVED), (bad.pk, Action.APPROVED)]


def test_a_wechat_comment_fits_the_same_queue(branches):
    item = services.enqueue(Kind.COMMENT, text="支持", author_name="微信用户", source=Source.WECHAT)
    assert item.get_source_display() == "微信"


def queue(client, **params):
    return client.get(reverse("moderation_queue"), params)


def test_the_queue_filters_by_state_kind_source_and_marks(client, branches, lexicon):
    client.force_login(user_in("留言管理员", "m"))
    services.enqueue(Kind.COMMENT, text="评论一", author_name="甲")
    services.enqueue(Kind.SUBMISSION, text="投稿二", author_name="乙")
    services.enqueue(Kind.COMMENT, text="赌博三", author_name="丙", source=Source.WECHAT)
    done = services.enqueue(Kind.COMMENT, text="评论四", author_name="丁")
    services.approve(done, superuser())
    page = queue(client).content.decode()
    assert "评论一" in page and "投稿二" in page and "赌博三" in page and "评论四" not in page
    page = queue(client, kind="submission").content.decode()
    assert "投稿二" in page and "评论一" not in page
    page = queue(client, source="wechat").content.decode()
    assert "赌博三" in page and "评论一" not in page
    page = queue(client, flagged="1").content.decode()
    assert "赌博三" in page and "评论一" not in page
    page = queue(client, state="approved").content.decode()
    assert "评论四" in page and "评论一" not in page
    assert "评论四" in queue(client, state="all").content.decode()


def test_the_queue_list_does_not_grow_in_queries_with_its_items(
    client, branches, django_assert_max_num_queries
):
    client.force_login(user_in("留言管理员", "m"))
    wang = member(branches["first"], "1001", name="王芳")
    for i in range(30):
        services.enqueue(Kind.COMMENT, text=f"第{i}条", member=wang)
    with django_assert_max_num_queries(15):
        assert queue(client).status_code == 200


def test_bulk_decisions_from_the_list(client, branches):
    moderator = user_in("留言管理员", "m")
    client.force_login(moderator)
    items = [services.enqueue(Kind.COMMENT, text=f"评论{i}") for i in range(3)]
    back = reverse("moderation_queue") + "?state=pending"
    response = client.post(
        reverse("moderation_bulk"),
        {"item": [items[0].pk, items[1].pk], "action": "approve", "back": back},
    )
    assert response.url == back
    states = dict(Item.objects.values_list("pk", "state"))
    assert states == {items[0].pk: "approved", items[1].pk: "approved", items[2].pk: "pending"}
    assert Item.objects.get(pk=items[0].pk).moderated_by == moderator
    response = client.post(
        reverse("moderation_bulk"), {"item": [items[2].pk], "action": "reject"}, follow=True
    )
    assert "退回时请填写理由" in response.content.decode()
    assert Item.objects.get(pk=items[2].pk).state == State.PENDING
    client.post(
        reverse("moderation_bulk"),
        {"item": [items[2].pk], "action": "reject", "reason": "广告", "back": "https://evil"},
    )
    assert Item.objects.get(pk=items[2].pk).reason == "广告"


def test_one_item_page_shows_the_marks_and_the_history_and_decides(client, branches, lexicon):
    client.force_login(user_in("编辑", "editor"))
    item = services.enqueue(Kind.COMMENT, text="<b>赌博</b>", author_name="甲")
    url = reverse("moderation_item", args=[item.pk])
    page = client.get(url).content.decode()
    assert "&lt;b&gt;赌博&lt;/b&gt;" in page and "<b>赌博</b>" not in page
    assert "违法" in page and "提交" in page
    client.post(url, {"action": "reject", "reason": "含敏感词"})
    page = client.get(url).content.decode()
    assert "含敏感词" in page and "退回" in page


def test_each_role_sees_only_its_part_of_the_queue(client, branches):
    first = member(branches["first"], "1001", name="王芳")
    third = member(branches["third"], "3001", name="赵六")
    mine = services.enqueue(Kind.COMMENT, text="第一支部的留言", member=first)
    other = services.enqueue(Kind.COMMENT, text="第三支部的留言", member=third)
    secretary, _ = secretary_of(branches["first"])
    client.force_login(secretary)
    page = queue(client).content.decode()
    assert "第一支部的留言" in page and "第三支部的留言" not in page
    assert client.get(reverse("moderation_item", args=[other.pk])).status_code == 404
    assert (
        'name="action"'
        not in client.get(reverse("moderation_item", args=[mine.pk])).content.decode()
    )
    client.post(reverse("moderation_item", args=[mine.pk]), {"action": "approve"})
    client.post(reverse("moderation_bulk"), {"item": [mine.pk], "action": "approve"})
    assert Item.objects.get(pk=mine.pk).state == State.PENDING
    for group in ("初审", "终审"):
        client.force_login(user_in(group, f"r-{group}"))
        assert "第一支部的留言" not in queue(client).content.decode()
    client.force_login(user_in("编辑", "editor"))
    page = queue(client).content.decode()
    assert "第一支部的留言" in page and "第三支部的留言" in page
    client.logout()
    assert queue(client).status_code == 302


def test_the_audit_trail_is_append_only_in_the_database(branches):
    from django.db import DatabaseError, transaction

    from weizhi.moderation.models import Event

    editor = user_in("编辑", "editor")
    item = services.approve(services.enqueue(Kind.COMMENT, text="好"), editor)
    event = item.events.get(action=Action.APPROVED)
    for change in (
        lambda: Event.objects.filter(pk=event.pk).update(reason="改过"),
        lambda: Event.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            change()
    editor.delete()  # the record stays, without its user
    event.refresh_from_db()
    assert event.user is None and event.action == Action.APPROVED
