"""现场竞答: opening a session by role, joining (member or guest), answering on the server's
clock, one answer counted once, rejoining keeps the score, the leaderboards, the host's
steps, and the live_quiz points when it ends."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.base import user_in
from tests.quiz_support import PASSWORD, bank, one_minute, signed_in
from tests.test_audience_support import fast_passwords, member, secretary_of, tree  # noqa: F401
from weizhi.points.models import Entry
from weizhi.quiz import live, live_views
from weizhi.quiz.models import Activity, LiveAnswer, LivePlayer, LiveSession, Question
from weizhi.quiz.services import Refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def world():
    branches = tree()
    bank(3, 0)  # three 单选题, answer B
    activity = one_minute(question_count=3, title="支部竞答")
    editor = user_in("编辑", "editor")
    return branches, activity, editor


def shown_right(session: LiveSession) -> str:
    """The letter the screen shows for the right answer of the current question."""
    drawn = session.drawn[session.index]
    question = Question.objects.get(pk=drawn["q"])
    return "ABCDEFGH"[drawn["o"].index("ABCDEFGH".index(question.answer))]


def shown_wrong(session: LiveSession) -> str:
    return next(x for x in "ABCD" if x != shown_right(session))


def opened(world, **options) -> LiveSession:
    _branches, activity, editor = world
    return live.open_session(editor, activity, **options)


def test_an_editor_opens_a_session_and_the_screen_shows_its_code_and_qr(client, world):
    _branches, activity, editor = world
    client.force_login(editor)
    response = client.post(
        reverse("quiz_live"), {"activity": activity.pk, "seconds": 20, "board": "people"}
    )
    session = LiveSession.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "quiz_live_screen", args=[session.pk]
    )
    page = client.get(response.url).content.decode()
    assert session.code in page and "<svg" in page and f"/quiz/live/{session.code}/" in page
    assert len(session.drawn) == 3 and session.phase == "lobby"


def test_a_member_joins_answers_and_a_fast_right_answer_scores_more(client, world):
    branches, _activity, editor = world
    session = opened(world)
    wang = signed_in(client, branches["first"], "1001", name="王芳")
    assert client.post(reverse("quiz:live_join", args=[session.code])).status_code == 302
    player = LivePlayer.objects.get(member=wang)
    session = live.step(session, "start", editor)
    state = client.get(reverse("quiz:live_state", args=[session.code])).json()
    assert state["phase"] == "question" and state["question"]["answer"] is None
    assert 19000 < state["remaining_ms"] <= 20000
    answer_url = reverse("quiz:live_answer", args=[session.code])
    body = client.post(answer_url, {"index": 0, "given": shown_right(session)}).json()
    assert body == {"ok": True}
    player.refresh_from_db()
    assert player.score > 950  # 500 for right, almost 500 for speed
    # Before the reveal the phone does not learn it was right.
    me = client.get(reverse("quiz:live_state", args=[session.code])).json()["me"]
    assert me["score"] == 0 and me["correct"] is None and me["given"] == shown_right(session)

    slow = live.join_member(session, member(branches["first"], "1002", name="李四"))
    live.answer(slow, 0, shown_right(session), now=session.deadline - timedelta(seconds=5))
    slow.refresh_from_db()
    assert 500 < slow.score < player.score  # right but slower
    live.step(session, "reveal", editor)
    me = client.get(reverse("quiz:live_state", args=[session.code])).json()["me"]
    assert me["correct"] is True and me["score"] == player.score


def test_a_late_answer_is_refused_and_not_stored(world):
    branches, _activity, editor = world
    session = live.step(opened(world), "start", editor)
    player = live.join_member(session, member(branches["first"], "1001"))
    with pytest.raises(Refused, match="超过答题时间"):
        live.answer(player, 0, "A", now=session.deadline + timedelta(seconds=3))
    session = live.step(session, "reveal", editor)
    with pytest.raises(Refused, match="已经结束"):
        live.answer(player, 0, "A")
    assert not LiveAnswer.objects.exists()


def test_an_answer_to_another_question_or_not_an_option_is_refused(world):
    branches, _activity, editor = world
    session = live.step(opened(world), "start", editor)
    player = live.join_member(session, member(branches["first"], "1001"))
    with pytest.raises(Refused, match="已经结束"):
        live.answer(player, 1, "A")
    with pytest.raises(Refused, match="选项"):
        live.answer(player, 0, "Z")
    with pytest.raises(Refused, match="选项"):
        live.answer(player, 0, "AB")  # a 单选题
    assert not LiveAnswer.objects.exists()


def test_a_second_answer_is_refused_and_counted_once(client, world):
    branches, _activity, editor = world
    session = opened(world)
    signed_in(client, branches["first"], "1001")
    client.post(reverse("quiz:live_join", args=[session.code]))
    session = live.step(session, "start", editor)
    url = reverse("quiz:live_answer", args=[session.code])
    assert client.post(url, {"index": 0, "given": shown_right(session)}).status_code == 200
    again = client.post(url, {"index": 0, "given": shown_wrong(session)})
    assert again.status_code == 409 and "已经作答" in again.json()["message"]
    assert LiveAnswer.objects.count() == 1
    score = LivePlayer.objects.get().score
    client.post(url, {"index": 0, "given": shown_right(session)})
    assert LivePlayer.objects.get().score == score
    state = live.screen_state(session.pk)
    assert state["answered"] == 1 and state["players"] == 1


def test_a_member_who_drops_and_rejoins_on_another_phone_keeps_the_score(client, world):
    branches, _activity, editor = world
    session = opened(world)
    signed_in(client, branches["first"], "1001")
    client.post(reverse("quiz:live_join", args=[session.code]))
    session = live.step(session, "start", editor)
    client.post(
        reverse("quiz:live_answer", args=[session.code]),
        {"index": 0, "given": shown_right(session)},
    )
    score = LivePlayer.objects.get().score
    assert score > 0
    other = Client()
    # The same member signs in on a fresh browser session.
    other.post(reverse("audience:login"), {"employee_number": "1001", "password": PASSWORD})
    page = other.get(reverse("quiz:live_join", args=[session.code]))
    assert page.status_code == 302 and page.url.endswith("/play/")
    live.step(session, "reveal", editor)
    state = other.get(reverse("quiz:live_state", args=[session.code])).json()
    assert state["me"]["score"] == score and LivePlayer.objects.count() == 1
    again = other.post(reverse("quiz:live_answer", args=[session.code]), {"index": 0, "given": "A"})
    assert again.status_code == 409


def test_guests_join_with_a_name_only_when_the_host_allows(client, world):
    closed = opened(world)
    page = client.get(reverse("quiz:live_join", args=[closed.code])).content.decode()
    assert "仅限党员登录后参加" in page and "以来宾身份加入" not in page
    refused = client.post(reverse("quiz:live_join", args=[closed.code]), {"name": "来宾甲"})
    assert refused.status_code == 403 and not LivePlayer.objects.exists()

    open_ = opened(world, allow_guests=True)
    empty = client.post(reverse("quiz:live_join", args=[open_.code]), {"name": "  "})
    assert empty.status_code == 400 and "请填写姓名" in empty.content.decode()
    joined = client.post(reverse("quiz:live_join", args=[open_.code]), {"name": " 来宾  甲 "})
    assert joined.status_code == 302
    guest = LivePlayer.objects.get()
    assert guest.name == "来宾 甲" and guest.member is None
    # The guest's seat follows the browser session: coming back finds it.
    assert client.get(reverse("quiz:live_join", args=[open_.code])).url.endswith("/play/")


def test_an_activity_limited_to_members_takes_no_guests(client, world):
    _branches, activity, editor = world
    activity.audience = "party"
    activity.save()
    client.force_login(editor)
    refused = client.post(
        reverse("quiz_live"), {"activity": activity.pk, "seconds": 20, "allow_guests": "on"}
    )
    assert refused.status_code == 200 and not LiveSession.objects.exists()
    assert "限定了参与范围，不能允许访客参加" in refused.content.decode()

    # A session that welcomed guests while the activity was open to everyone stops doing so
    # when the activity is narrowed to party members.
    activity.audience = "everyone"
    activity.save()
    session = opened(world, allow_guests=True)
    seated = live.join_guest(session, "来宾乙")
    session = live.step(session, "start", editor)
    activity.audience = "party"
    activity.save()
    with pytest.raises(Refused, match="仅限党员"):  # a guest seated before cannot answer
        live.answer(seated, 0, shown_right(session))
    assert not LiveAnswer.objects.exists()
    LivePlayer.objects.all().delete()
    guest = Client()
    page = guest.get(reverse("quiz:live_join", args=[session.code])).content.decode()
    assert "以来宾身份加入" not in page and "仅限党员登录后参加" in page
    joined = guest.post(reverse("quiz:live_join", args=[session.code]), {"name": "来宾甲"})
    assert joined.status_code == 403 and not LivePlayer.objects.exists()


def test_the_people_leaderboard_ranks_by_score(world):
    branches, _activity, editor = world
    session = live.step(opened(world, board="people"), "start", editor)
    fast = live.join_member(session, member(branches["first"], "1001", name="王芳"))
    slow = live.join_member(session, member(branches["third"], "3001", name="赵六"))
    wrong = live.join_member(session, member(branches["third"], "3002", name="孙七"))
    live.answer(fast, 0, shown_right(session))
    live.answer(slow, 0, shown_right(session), now=session.deadline - timedelta(seconds=10))
    live.answer(wrong, 0, shown_wrong(session))
    live.step(session, "reveal", editor)
    state = live.screen_state(session.pk)
    assert [r["name"] for r in state["board"]] == ["王芳", "赵六", "孙七"]
    assert state["board"][2]["score"] == 0
    assert state["counts"] == {shown_right(session): 2, shown_wrong(session): 1}
    assert state["question"]["answer"] == shown_right(session) and state["question"]["explanation"]


def test_the_branch_leaderboard_shows_averages(world):
    branches, _activity, editor = world
    session = live.step(opened(world, board="branches"), "start", editor)
    a = live.join_member(session, member(branches["first"], "1001", name="王芳"))
    live.join_member(session, member(branches["first"], "1002", name="李四"))  # did not answer
    b = live.join_member(session, member(branches["third"], "3001", name="赵六"))
    live.answer(a, 0, shown_right(session), now=session.deadline)  # 500 exactly
    live.answer(b, 0, shown_right(session), now=session.deadline)
    live.step(session, "reveal", editor)
    rows = live.screen_state(session.pk)["board"]
    assert rows == [
        {"name": "第三党支部", "score": 500, "people": 1},
        {"name": "第一党支部", "score": 250, "people": 2},
    ]


def test_the_host_steps_through_to_the_end_and_members_get_points_once(world):
    branches, _activity, editor = world
    session = opened(world)
    wang = member(branches["first"], "1001")
    player = live.join_member(session, wang)
    live.join_member(session, member(branches["first"], "1002"))  # joined, never answered
    session = live.step(session, "start", editor)
    live.answer(player, 0, shown_right(session))
    with pytest.raises(Refused):
        live.step(session, "next", editor)  # the answer comes first
    for _ in range(2):
        session = live.step(session, "reveal", editor)
        session = live.step(session, "next", editor)
    assert session.index == 2 and session.phase == "question"
    session = live.step(session, "reveal", editor)
    session = live.step(session, "next", editor)
    assert session.phase == "ended" and session.ended_at
    assert list(Entry.objects.values_list("member_id", "action", "key")) == [
        (wang.pk, "live_quiz", f"live:{session.pk}")
    ]
    with pytest.raises(Refused):
        live.step(session, "end", editor)
    assert Entry.objects.count() == 1


def test_a_stale_button_press_moves_the_session_once(client, world):
    _branches, _activity, editor = world
    session = opened(world)
    client.force_login(editor)
    url = reverse("quiz_live_step", args=[session.pk])
    first = client.post(url, {"action": "start", "version": session.version})
    second = client.post(url, {"action": "start", "version": session.version})
    assert first.status_code == 200 and second.status_code == 409
    session.refresh_from_db()
    assert session.index == 0 and session.version == 1


def test_the_poll_is_cached_per_version(world, django_assert_max_num_queries):
    branches, _activity, editor = world
    session = live.step(opened(world), "start", editor)
    player = live.join_member(session, member(branches["first"], "1001"))
    live.phone_state(player.token)
    with django_assert_max_num_queries(2):
        live.phone_state(player.token)
    with django_assert_max_num_queries(3):
        live.screen_state(session.pk)


def test_a_secretary_hosts_for_their_own_branch_only(client, world):
    branches, activity, _editor = world
    user, _ = secretary_of(branches["first"])
    client.force_login(user)
    form = client.get(reverse("quiz_live")).content.decode()
    assert "第一党支部" in form and "第三党支部" not in form
    refused = client.post(
        reverse("quiz_live"),
        {"activity": activity.pk, "branch": branches["third"].pk, "seconds": 20, "board": "people"},
    )
    assert refused.status_code == 200 and not LiveSession.objects.exists()
    client.post(
        reverse("quiz_live"),
        {"activity": activity.pk, "branch": branches["first"].pk, "seconds": 20, "board": "people"},
    )
    mine = LiveSession.objects.get()
    assert mine.branch == branches["first"]
    assert client.get(reverse("quiz_live_screen", args=[mine.pk])).status_code == 200
    theirs = opened(world, branch=branches["third"])
    screen = client.get(reverse("quiz_live_screen", args=[theirs.pk]))
    assert screen.status_code in (302, 403) and theirs.code not in screen.content.decode()
    assert client.get(reverse("quiz_live_state", args=[theirs.pk])).status_code == 403
    step = client.post(reverse("quiz_live_step", args=[theirs.pk]), {"action": "start"})
    assert step.status_code == 403
    assert str(theirs.code) not in client.get(reverse("quiz_live")).content.decode()


def test_a_secretary_of_another_branch_cannot_open_one_for_it(world):
    branches, activity, _editor = world
    user, _ = secretary_of(branches["third"], username="sec3")
    with pytest.raises(Refused):
        live.open_session(user, activity, branch=branches["first"])
    with pytest.raises(Refused):
        live.open_session(user, activity)  # not for everyone either


@pytest.mark.parametrize("group", ["初审", "留言管理员", None])
def test_reviewers_moderators_and_strangers_cannot_host(client, world, group):
    _branches, activity, _editor = world
    session = opened(world)
    if group:
        client.force_login(user_in(group, f"u-{group}"))
    for url in (reverse("quiz_live"), reverse("quiz_live_screen", args=[session.pk])):
        response = client.get(url)
        assert response.status_code in (302, 403) and session.code not in response.content.decode()
    step = client.post(reverse("quiz_live_step", args=[session.pk]), {"action": "start"})
    assert step.status_code in (302, 403)
    created = client.post(
        reverse("quiz_live"), {"activity": activity.pk, "seconds": 20, "board": "people"}
    )
    assert created.status_code in (302, 403)
    session.refresh_from_db()
    assert session.phase == "lobby" and LiveSession.objects.count() == 1


def test_a_phone_without_a_seat_cannot_poll_or_answer(client, world):
    _branches, _activity, editor = world
    session = live.step(opened(world), "start", editor)
    assert client.get(reverse("quiz:live_state", args=[session.code])).status_code == 403
    answer = client.post(
        reverse("quiz:live_answer", args=[session.code]), {"index": 0, "given": "A"}
    )
    assert answer.status_code == 403 and not LiveAnswer.objects.exists()
    assert client.get(reverse("quiz:live_play", args=[session.code])).status_code == 302


def test_the_code_page_finds_a_session_and_names_a_wrong_code(client, world):
    session = opened(world)
    found = client.get(reverse("quiz:live_enter"), {"code": f" {session.code} "})
    assert found.status_code == 302 and session.code in found.url
    missing = client.get(reverse("quiz:live_enter"), {"code": "000000"})
    assert missing.status_code == 404 and "没有找到这个加入码" in missing.content.decode()


def test_no_one_joins_an_ended_session(world):
    branches, _activity, editor = world
    session = live.step(opened(world), "end", editor)
    with pytest.raises(Refused, match="已经结束"):
        live.join_member(session, member(branches["first"], "1001"))
    assert session.ended_at <= timezone.now()


def test_a_full_hall_behind_one_address_joins(world):
    """Every phone of a meeting shares the venue's address: members are limited each on their
    own, so 25 of them (more than one member's limit) all get a seat."""
    branches, _activity, _editor = world
    session = opened(world)
    for i in range(live_views.JOINS_PER_MINUTE + 5):
        phone = Client()
        signed_in(phone, branches["first"], f"H{i:03d}", name=f"党员{i}")
        assert phone.post(reverse("quiz:live_join", args=[session.code])).status_code == 302
    assert LivePlayer.objects.filter(session=session).count() == live_views.JOINS_PER_MINUTE + 5


def test_a_member_outside_the_activitys_audience_may_not_join(client, world):
    branches, activity, _editor = world
    activity.audience = "branches"
    activity.save()
    activity.branches.set([branches["third"]])
    session = opened(world)
    signed_in(client, branches["first"], "1001")
    refused = client.post(reverse("quiz:live_join", args=[session.code]))
    assert refused.status_code == 403 and "不在本活动的参与范围内" in refused.content.decode()
    assert not LivePlayer.objects.exists()
    assert live.join_member(session, member(branches["third"], "3001", name="赵六"))


def test_a_session_for_one_organisation_takes_only_its_members(client, world):
    branches, _activity, _editor = world
    session = opened(world, branch=branches["general"])  # 综合党总支: 第一 and 第二党支部
    signed_in(client, branches["third"], "3001")
    refused = client.post(reverse("quiz:live_join", args=[session.code]))
    assert refused.status_code == 403 and "仅限综合党总支的党员参加" in refused.content.decode()
    assert not LivePlayer.objects.exists()
    assert live.join_member(session, member(branches["second"], "2001", name="钱七"))
    assert live.join_member(opened(world), member(branches["third"], "3002", name="孙八"))


def test_the_board_follows_the_activity_unless_the_host_chooses(client, world):
    _branches, activity, editor = world
    assert opened(world).board == "branches"  # the activity publishes no personal ranking
    assert opened(world, board="people").board == "people"
    Activity.objects.filter(pk=activity.pk).update(show_top=5)
    activity.refresh_from_db()
    assert live.open_session(editor, activity).board == "people"
    client.force_login(editor)
    client.post(reverse("quiz_live"), {"activity": activity.pk, "seconds": 20, "board": ""})
    client.post(reverse("quiz_live"), {"activity": activity.pk, "seconds": 20, "board": "branches"})
    assert list(LiveSession.objects.order_by("pk").values_list("board", flat=True))[-2:] == [
        "people",
        "branches",
    ]
    Activity.objects.filter(pk=activity.pk).update(show_top=0)
    client.post(reverse("quiz_live"), {"activity": activity.pk, "seconds": 20})
    assert LiveSession.objects.order_by("pk").last().board == "branches"


def test_one_browser_gets_one_guest_seat(client, world):
    session = opened(world, allow_guests=True)
    url = reverse("quiz:live_join", args=[session.code])
    assert client.post(url, {"name": "来宾甲"}).status_code == 302
    again = client.post(url, {"name": "来宾乙"})
    assert again.status_code == 302 and again.url.endswith("/play/")
    assert list(LivePlayer.objects.values_list("name", flat=True)) == ["来宾甲"]


def test_guest_joins_are_limited_per_address(world, monkeypatch):
    monkeypatch.setattr(live_views, "GUEST_JOINS_PER_MINUTE", 3)
    session = opened(world, allow_guests=True)
    url = reverse("quiz:live_join", args=[session.code])
    codes = [Client().post(url, {"name": f"来宾{i}"}).status_code for i in range(5)]
    assert codes == [302, 302, 302, 429, 429]
    assert LivePlayer.objects.count() == 3


def test_a_question_deleted_from_the_bank_is_skipped_gracefully(client, world):
    branches, _activity, editor = world
    session = opened(world)
    signed_in(client, branches["first"], "1001")
    client.post(reverse("quiz:live_join", args=[session.code]))
    Question.objects.filter(pk=session.drawn[0]["q"]).delete()
    session = live.step(session, "start", editor)
    client.force_login(editor)
    screen = client.get(reverse("quiz_live_state", args=[session.pk]))
    assert screen.status_code == 200 and "已从题库删除" in screen.json()["question"]["stem"]
    phone = client.get(reverse("quiz:live_state", args=[session.code]))
    assert phone.status_code == 200 and phone.json()["question"]["options"] == []
    refused = client.post(
        reverse("quiz:live_answer", args=[session.code]), {"index": 0, "given": "A"}
    )
    assert refused.status_code == 409 and "已从题库删除" in refused.json()["message"]
    session = live.step(live.step(session, "reveal", editor), "next", editor)
    assert live.screen_state(session.pk)["question"]["stem"]
