"""Quiz statistics by role: editors see everything, a 支部书记 their subtree, strangers
nothing; per-question correct rate, per-branch participation and average, xlsx export; no
personal ranking unless an activity opts in."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.base import user_in
from tests.quiz_support import bank, one_minute, right_given, signed_in
from tests.test_audience_support import fast_passwords, member, secretary_of, tree  # noqa: F401
from weizhi.quiz import services
from weizhi.quiz.models import Question

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


def take(activity, person, right: int):
    attempt = services.start(activity, person)
    for i, pk in enumerate(attempt.question_ids()):
        q = Question.objects.get(pk=pk)
        services.answer(attempt.pk, person, pk, right_given(q) if i < right else ["×"], f"k{i}")
    return services.finish(attempt, person)


@pytest.fixture
def world():
    branches = tree()
    bank(0, 5)  # five 判断题 worth 1 each
    activity = one_minute()
    wang = member(branches["first"], "1001", name="王芳")
    member(branches["first"], "1002", name="李四")  # did not take part
    zhao = member(branches["third"], "3001", name="赵六")
    take(activity, wang, 4)
    take(activity, zhao, 2)
    return branches, activity


def test_an_editor_sees_every_branch_and_the_correct_rate(client, world):
    _branches, activity = world
    client.force_login(user_in("编辑", "editor"))
    body = client.get(reverse("quiz_stats"), {"activity": activity.pk}).content.decode()
    first = body[body.index("第一党支部") :].split("</tr>")[0]
    assert "<td>2</td><td>1</td><td>50.0%</td><td>4.0</td>" in first
    third = body[body.index("第三党支部") :].split("</tr>")[0]
    assert "<td>1</td><td>1</td><td>100.0%</td><td>2.0</td>" in third
    assert "王芳" not in body and "赵六" not in body  # no personal ranking
    assert "100.0%" in body and "0.0%" in body  # question 1 right twice; question 5 never


def test_a_secretary_sees_only_their_subtree(client, world):
    branches, _activity = world
    user, _ = secretary_of(branches["first"])
    client.force_login(user)
    body = client.get(reverse("quiz_stats")).content.decode()
    assert "第一党支部" in body and "第三党支部" not in body
    export = client.get(reverse("quiz_stats"), {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(export.content))["组织参与"]
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert all("第三党支部" not in n for n in names) and any("第一党支部" in n for n in names)
    rates = load_workbook(io.BytesIO(export.content))["题目正确率"]
    counts = [row[2] for row in rates.iter_rows(min_row=2, values_only=True)]
    assert counts == [1] * 5  # only 王芳's answers: 赵六 is outside the subtree


@pytest.mark.parametrize("group", ["留言管理员", None])
def test_others_see_no_statistics(client, world, group):
    if group:
        client.force_login(user_in(group, "someone"))
    response = client.get(reverse("quiz_stats"))
    assert response.status_code in (302, 403) and "第一党支部" not in response.content.decode()


def test_a_top_n_is_shown_to_members_only_when_the_activity_opts_in(client, world):
    branches, activity = world
    signed_in(client, branches["second"], "2001", name="孙七")
    page = client.get(reverse("quiz:activity", args=[activity.pk])).content.decode()
    assert "王芳" not in page
    activity.show_top = 1
    activity.save()
    page = client.get(reverse("quiz:activity", args=[activity.pk])).content.decode()
    assert "前 1 名" in page and "王芳" in page and "赵六" not in page
