"""The admin home (今日办公) shows each role what waits for it and the week's numbers, and
never what the role may not see."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tests import factories
from tests.base import superuser, user_in
from tests.test_audience_support import follower, member, secretary_of, tree
from tests.test_review_workflow import submit
from weizhi.analytics.models import DailyPageStats
from weizhi.audience.models import BindingRequest, Follower


def home_of(user) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def office_panel(html: str) -> str:
    start = html.index('id="office-home-section"')
    following = html.find('<section class="w-panel', start + 1)
    return html[start : following if following > 0 else len(html)]


def read(page, day, reads: int) -> None:
    """Adds reads to the page's day (on a Monday, "today" and "Monday of this week" are one day)."""
    stats, _ = DailyPageStats.objects.get_or_create(page=page, day=day)
    stats.reads += reads
    stats.save(update_fields=["reads"])


def test_a_superuser_sees_what_waits_and_the_weeks_numbers(home):
    root = superuser()
    today = timezone.localdate()
    busy = factories.article(title="防汛值守一线")
    quiet = factories.article(title="读者不多的稿件")
    read(busy, today, 30)
    monday = today - timedelta(days=today.weekday())
    read(busy, monday, 5)  # Monday of this week: today itself on a Monday
    read(quiet, today, 4)
    read(quiet, today - timedelta(days=today.weekday() + 1), 100)  # last week: not counted
    branches = tree()
    BindingRequest.objects.create(follower=follower("o-1"), member=member(branches["first"], "B-1"))
    Follower.objects.create(openid="o-new", subscribed_at=timezone.now())
    html = office_panel(home_of(root))
    assert "今日办公" in html
    assert ">1</strong> 待处理的绑定申请" in html
    assert f">{34 + (5 if monday == today else 0)}</strong> 今日阅读" in html
    assert ">39</strong> 本周阅读" in html
    assert ">1</strong> 今日新增关注" in html
    assert html.index("防汛值守一线") < html.index("读者不多的稿件")
    assert "阅读 35" in html


def test_a_reviewer_sees_the_pages_waiting_for_their_step(home):
    editor, first = user_in("编辑"), user_in("初审")
    page = factories.article(title="待初审的稿件", publish=False)
    submit(page, editor)
    html = office_panel(home_of(first))
    assert "我的草稿" not in html  # a reviewer writes none
    assert ">1</strong> 待我审核的稿件" in html
    assert "待初审的稿件 · 初审" in html
    assert f"/admin/pages/{page.pk}/edit/" in html
    # The next step's reviewer has nothing yet.
    assert ">0</strong> 待我审核的稿件" in office_panel(home_of(user_in("复审")))


def test_an_editor_sees_their_drafts_and_no_roster_or_follower_numbers(home):
    editor = user_in("编辑")
    draft = factories.article(title="写了一半的稿件", publish=False)
    draft.save_revision(user=editor)
    factories.article(title="别人的草稿", publish=False).save_revision(user=user_in("初审"))
    html = office_panel(home_of(editor))
    assert "写了一半的稿件" in html
    assert "别人的草稿" not in html
    assert "绑定申请" not in html
    assert "新增关注" not in html


def test_a_branch_secretary_sees_no_reading_numbers_nor_others_requests(home):
    branches = tree()
    user, _ = secretary_of(branches["second"])
    BindingRequest.objects.create(follower=follower("o-2"), member=member(branches["first"], "B-2"))
    html = home_of(user)
    # A secretary handles the messages dispatched to their subtree: that is all they see here.
    assert ">0</strong> 待我办理的留言" in office_panel(html)
    assert "今日阅读" not in html
    assert "待处理的绑定申请" not in html
    assert "本周热门稿件" not in html


def test_a_message_moderator_sees_new_followers_only(home):
    Follower.objects.create(openid="o-today", subscribed_at=timezone.now())
    html = office_panel(home_of(user_in("留言管理员")))
    assert ">1</strong> 今日新增关注" in html
    assert "今日阅读" not in html
    assert "绑定申请" not in html


def test_a_stranger_is_sent_to_sign_in(home):
    response = Client().get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_messages_and_contributions_waiting_show_to_the_roles_that_act_on_them(home):
    from weizhi.inbox import channels
    from weizhi.inbox import services as inbox
    from weizhi.moderation import services as moderation
    from weizhi.moderation.models import Kind

    branches = tree()
    writer = member(branches["first"], "W-1", name="写信人")
    first_item = inbox.receive(writer, channel=channels.WEB, text="食堂排队太久").item
    inbox.receive(member(branches["second"], "W-2"), channel=channels.WEB, text="班车时间")
    moderation.enqueue(Kind.COMMENT, text="学习体会很好", member=writer)
    manager = user_in("留言管理员", "manager")
    handler = user_in("留言承办人", "handler")
    inbox.assign(first_item, by=manager, user=handler)
    secretary, _ = secretary_of(branches["first"])
    editor, reviewer = user_in("编辑"), user_in("初审")

    seen = {who: office_panel(home_of(user)) for who, user in {
        "manager": manager, "handler": handler, "editor": editor,
    }.items()}  # fmt: skip
    assert ">1</strong> 待受理的留言" in seen["manager"]  # the other one is already dispatched
    assert ">1</strong> 待审核的留言与投稿" in seen["manager"]
    assert ">1</strong> 待我办理的留言" in seen["handler"]
    assert "待审核的留言与投稿" not in seen["handler"]
    assert ">1</strong> 待审核的留言与投稿" in seen["editor"]
    assert "留言</a>" not in seen["editor"].replace("留言与投稿</a>", "")
    for user in (secretary, reviewer):
        html = home_of(user)
        assert "待审核的留言与投稿" not in html and "待受理的留言" not in html
