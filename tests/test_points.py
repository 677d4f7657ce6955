"""Points: idempotent awards, daily caps shown as "3/6", deductions with a reason, the ledger,
the member's page, and who sees whose points in the admin."""

import pytest
from django.db import transaction
from django.urls import reverse

from tests.base import user_in
from tests.quiz_support import signed_in
from tests.test_audience_support import fast_passwords, member, secretary_of, tree  # noqa: F401
from weizhi.audience.models import Follower
from weizhi.points import services
from weizhi.points.models import Entry, Rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def branches():
    return tree()


@pytest.fixture
def wang(branches):
    return member(branches["first"], "1001", name="王芳")


def test_an_award_is_idempotent_per_action_and_key(wang):
    first = services.award(wang, "read_article", "page:7")
    again = services.award(wang, "read_article", "page:7")
    assert first.outcome == services.AWARDED and first.points == 1
    assert again.outcome == services.DUPLICATE
    assert services.award(wang, "read_article", "page:8").outcome == services.AWARDED
    assert services.total(wang) == 2


def test_the_daily_cap_cuts_and_then_stops_awards_and_shows_as_progress(wang):
    rule = Rule.objects.get(action="quiz_finish")  # 2 points, at most 6 a day
    outcomes = [services.award(wang, "quiz_finish", f"attempt:{i}") for i in range(5)]
    assert [o.outcome for o in outcomes] == ["awarded"] * 3 + ["capped"] * 2
    rule.points = 4
    rule.save()
    services.award(wang, "read_article", "page:1")
    shown = {p.rule.action: str(p) for p in services.progress(wang)}
    assert shown["quiz_finish"] == "6/6" and shown["read_article"] == "1/6"
    Rule.objects.filter(action="read_article").update(daily_cap=2, points=5)
    cut = services.award(wang, "read_article", "page:2")
    assert cut.outcome == "awarded" and cut.points == 1  # only what is left under the cap


def test_an_unknown_or_disabled_rule_awards_nothing(wang):
    assert services.award(wang, "no_such", "x").outcome == services.NO_RULE
    Rule.objects.filter(action="read_article").update(enabled=False)
    assert services.award(wang, "read_article", "x").outcome == services.NO_RULE
    assert not Entry.objects.exists()


def test_a_follower_earns_alone_until_bound_then_as_the_member(wang):
    follower = Follower.objects.create(openid="o-1")
    services.award(follower, "read_article", "page:1")
    assert services.total(follower) == 1 and services.total(wang) == 0
    follower.member = wang
    follower.save()
    services.award(follower, "read_article", "page:2")
    assert services.award(wang, "read_article", "page:2").outcome == services.DUPLICATE
    assert services.total(wang) == 1


def test_a_batch_awards_as_one_after_another_would(branches, wang):
    """award_batch (quiz hand-ins written together) reads the ledger once for everyone:
    its outcomes and rows are those of the same awards made one by one, in order, with a
    person coming twice, a follower earning as their member, duplicates, caps and no rule."""
    li = member(branches["first"], "1002", name="李强")
    bound = Follower.objects.create(openid="o-bound", member=wang)
    alone = Follower.objects.create(openid="o-alone")
    services.award(wang, "quiz_finish", "attempt:0")  # 2 of wang's 6 today
    batch = [
        services.Wanted(wang, [("quiz_finish", "attempt:0"), ("quiz_finish", "attempt:1")]),
        services.Wanted(li, [("quiz_finish", "attempt:9"), ("read_article", "page:1")]),
        services.Wanted(bound, [("quiz_finish", "attempt:2"), ("no_such", "x")]),
        services.Wanted(wang, [("quiz_finish", "attempt:3"), ("read_article", "page:1")]),
        services.Wanted(alone, [("read_article", "page:1"), ("read_article", "page:1")]),
    ]

    def ledger():
        return sorted(
            Entry.objects.values_list("subject", "action", "key", "points", "member_id",
                                      "follower_id")
        )  # fmt: skip

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            one_by_one = [
                [services.award(w.who, action, key) for action, key in w.pairs] for w in batch
            ]
            expected = ledger()
            raise Undo
    except Undo:
        pass
    together = services.award_batch(batch)
    outcomes = [[(a.outcome, a.points) for a in person] for person in together]
    assert outcomes == [[(a.outcome, a.points) for a in person] for person in one_by_one]
    assert outcomes == [
        [("duplicate", 0), ("awarded", 2)],
        [("awarded", 2), ("awarded", 1)],
        [("awarded", 2), ("no_rule", 0)],
        [("capped", 0), ("awarded", 1)],
        [("awarded", 1), ("duplicate", 0)],
    ]
    assert ledger() == expected
    assert all(a.entry.pk for person in together for a in person if a.outcome == "awarded")


def test_a_deduction_needs_a_reason_and_is_in_the_ledger(wang):
    editor = user_in("编辑", "editor")
    services.award(wang, "quiz_finish", "attempt:1")
    with pytest.raises(ValueError):
        services.deduct(wang, 1, "  ", by=editor)
    entry = services.deduct(wang, 1, "重复刷题", by=editor)
    assert (entry.points, entry.by, entry.reason) == (-1, editor, "重复刷题")
    assert services.total(wang) == 1


def test_the_member_sees_total_progress_and_history(client, branches):
    wang = signed_in(client, branches["first"], "1001")
    services.award(wang, "quiz_finish", "attempt:1")
    services.deduct(wang, 1, "误记更正", by=user_in("编辑", "editor"))
    body = client.get(reverse("points:mine")).content.decode()
    assert "我的积分" in body and "data-total>1<" in body
    assert "2/6" in body and "误记更正" in body and "-1" in body and "+2" in body


def test_an_editor_deducts_through_the_admin_with_a_reason(client, wang):
    client.force_login(user_in("编辑", "editor"))
    url = reverse("points_deduct")
    body = client.post(url, {"employee_number": "1001", "points": 2, "reason": ""}).content
    assert "请填写扣减原因" in body.decode() and not Entry.objects.exists()
    response = client.post(url, {"employee_number": "1001", "points": 2, "reason": "违规"})
    assert response.status_code == 302 and services.total(wang) == -2


def test_a_secretary_sees_the_ledger_and_averages_of_their_subtree_only(client, branches, wang):
    other = member(branches["third"], "3003", name="赵六")
    services.award(wang, "quiz_finish", "attempt:1")
    services.award(other, "quiz_finish", "attempt:2")
    user, _ = secretary_of(branches["first"])
    client.force_login(user)
    body = client.get(reverse("points_entry:index")).content.decode()
    assert "王芳" in body and "赵六" not in body
    hidden = Entry.objects.get(member=other)
    assert client.get(reverse("points_entry:inspect", args=[hidden.pk])).status_code == 404
    averages = client.get(reverse("points_branches")).content.decode()
    assert "第一党支部" in averages and "第三党支部" not in averages
    assert client.get(reverse("points_deduct")).status_code in (302, 403)
    assert services.total(other) == 2


def test_the_branch_view_shows_averages_not_people(client, branches, wang):
    member(branches["first"], "1002", name="李四")
    services.award(wang, "quiz_finish", "attempt:1")
    services.award(wang, "quiz_full_score", "attempt:1")
    client.force_login(user_in("编辑", "editor"))
    body = client.get(reverse("points_branches")).content.decode()
    row = body[body.index("第一党支部") :].split("</tr>")[0]
    assert "<td>2</td><td>1</td><td>2.0</td>" in row
    assert "王芳" not in body


def test_nobody_edits_the_ledger_in_the_admin(client, wang):
    services.award(wang, "quiz_finish", "attempt:1")
    entry = Entry.objects.get()
    client.force_login(user_in("管理员", "admin"))
    assert client.get(reverse("points_entry:edit", args=[entry.pk])).status_code in (302, 403)
    assert client.get(reverse("points_rule:index")).status_code == 200
