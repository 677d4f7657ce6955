"""Results: counts against the raw answers, cross-tabulation, keywords, filters, the export
and the printable summary, each scoped to the role reading it."""

import io
import random
from collections import Counter

import pytest
from django.test import Client

from tests.base import superuser, user_in
from tests.test_audience_support import member, secretary_of, tree
from tests.test_surveys_support import respond, survey
from weizhi.audience.models import PoliticalStatus
from weizhi.core.xlsx import read_rows
from weizhi.surveys import results
from weizhi.surveys.models import Survey

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"kind": "single", "title": "满意吗", "options": "满意\n一般\n不满意"},
    {"kind": "multiple", "title": "关注什么", "options": "学习\n活动\n服务\n其他 [其他]"},
    {"kind": "nps", "title": "推荐吗"},
    {"kind": "matrix", "title": "评价", "options": "好\n中\n差", "rows": "食堂\n宿舍"},
    {"kind": "ranking", "title": "排序", "options": "甲\n乙\n丙"},
    {"kind": "textarea", "title": "建议", "required": False},
]
WORDS = ["加强学习教育", "多组织学习活动", "改善食堂服务", "学习形式要创新"]


def fill(s, people, seed=7):
    rng = random.Random(seed)
    raw = []
    for n, person in enumerate(people):
        answers = {
            "Q1": rng.choice("ABC"),
            "Q2": rng.sample("ABC", rng.randint(1, 3)),
            "Q3": rng.randint(0, 10),
            "Q4": {"0": rng.choice("ABC"), "1": rng.choice("ABC")},
            "Q5": rng.sample("ABC", 3),
            "Q6": rng.choice(WORDS),
        }
        if s.anonymous:
            respond(s, answers, key=f"b:{n}")
        else:
            respond(s, answers, member=person)
        raw.append((person, answers))
    return raw


@pytest.fixture
def org():
    return tree()


@pytest.fixture
def people(org):
    first = [member(org["first"], f"1{n:03}", name=f"一支{n}") for n in range(12)]
    third = [
        member(org["third"], f"3{n:03}", name=f"三支{n}", status=PoliticalStatus.PROBATIONARY)
        for n in range(8)
    ]
    return first + third


def test_counts_match_the_raw_answers(people):
    s = survey(QUESTIONS)
    raw = fill(s, people)
    data = results.rows(s.responses.all())
    by_code = {x.item.code: x for x in results.summaries(s.items(), data)}
    q1 = Counter(a["Q1"] for _, a in raw)
    for key, label in zip("ABC", ["满意", "一般", "不满意"], strict=True):
        assert f"{label}：{q1[key]}" in by_code["Q1"].chart
    q2 = Counter(k for _, a in raw for k in a["Q2"])
    assert f"学习：{q2['A']}" in by_code["Q2"].chart
    scores = [a["Q3"] for _, a in raw]
    nps = (sum(v >= 9 for v in scores) - sum(v <= 6 for v in scores)) / len(scores) * 100
    assert ("净推荐值", f"{nps:.0f}") in by_code["Q3"].figures
    good_canteen = sum(a["Q4"]["0"] == "A" for _, a in raw)
    assert f"食堂：好 {good_canteen}" in by_code["Q4"].chart
    borda = sum(3 - a["Q5"].index("A") for _, a in raw)
    assert f"甲：{borda}分" in by_code["Q5"].chart
    assert by_code["Q6"].keywords[0] == ("学习", sum("学习" in a["Q6"] for _, a in raw))


def test_crosstab_by_branch_status_and_another_question(people):
    s = survey(QUESTIONS)
    raw = fill(s, people)
    data = results.rows(s.responses.all())
    by_branch = results.crosstab(s.items(), data, "Q1", "branch")
    assert by_branch.rows == ["第一党支部", "第三党支部"]
    assert sum(by_branch.counts[1]) == 8
    by_status = results.crosstab(s.items(), data, "Q1", "status")
    assert by_status.rows == ["正式党员", "预备党员"]
    by_q2 = results.crosstab(s.items(), data, "Q1", "Q2")
    expected = sum(1 for _, a in raw if "A" in a["Q2"] and a["Q1"] == "B")
    assert by_q2.rows[0] == "学习" and by_q2.counts[0][1] == expected
    assert results.crosstab(s.items(), data, "Q6", "branch") is None


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_results_page_with_filters_and_crosstab(people):
    s = survey(QUESTIONS)
    raw = fill(s, people)
    client = admin_client(superuser())
    page = client.get(f"/admin/surveys/{s.pk}/results/")
    assert page.status_code == 200 and page.content.decode().count("<svg") >= 5
    filtered = client.get(f"/admin/surveys/{s.pk}/results/?f=Q1:A&of=Q1&by=branch")
    want = sum(1 for _, a in raw if a["Q1"] == "A")
    body = filtered.content.decode()
    assert f"<strong data-count>{want}</strong>" in body and "Q1 满意吗 × 党组织" in body


def test_each_role_sees_only_its_share(org, people):
    s = survey(QUESTIONS)
    fill(s, people)
    url = f"/admin/surveys/{s.pk}/results/"
    editor = admin_client(user_in("编辑", "editor"))
    assert "<strong data-count>20</strong>" in editor.get(url).content.decode()
    secretary, _ = secretary_of(org["third"], "sec3")
    body = admin_client(secretary).get(url).content.decode()
    assert "<strong data-count>8</strong>" in body and "所辖党组织" in body
    export = admin_client(secretary).get(f"/admin/surveys/{s.pk}/export.xlsx")
    names = [row[2] for _, row in list(read_rows(io.BytesIO(export.content)))[1:]]
    assert sorted(names) == sorted(f"三支{n}" for n in range(8))
    for group in ("初审", "留言管理员"):
        refused = admin_client(user_in(group, f"u-{group}")).get(url)
        assert refused.status_code in (302, 403) and b"data-count" not in refused.content
    assert Client().get(url).status_code == 302


def test_a_secretary_sees_nothing_of_an_anonymous_survey(org, people):
    s = survey(QUESTIONS, anonymous=True, audience=Survey.Audience.EVERYONE)
    fill(s, people[:5])
    secretary, _ = secretary_of(org["first"], "sec1")
    body = admin_client(secretary).get(f"/admin/surveys/{s.pk}/results/").content.decode()
    assert "<strong data-count>0</strong>" in body


def test_the_export_has_one_row_per_response_and_no_person_when_anonymous(people):
    named = survey(QUESTIONS)
    fill(named, people[:4])
    client = admin_client(superuser())
    rows = [
        r
        for _, r in read_rows(
            io.BytesIO(client.get(f"/admin/surveys/{named.pk}/export.xlsx").content)
        )
    ]
    assert rows[0][:6] == ("提交日期", "提交时间", "姓名", "工号", "所属组织", "政治面貌")
    assert len(rows) == 5 and {r[2] for r in rows[1:]} == {p.name for p in people[:4]}
    anonymous = survey(QUESTIONS, anonymous=True, title="匿名", audience=Survey.Audience.EVERYONE)
    raw = fill(anonymous, people[:4])
    content = client.get(f"/admin/surveys/{anonymous.pk}/export.xlsx").content
    rows = [r for _, r in read_rows(io.BytesIO(content))]
    assert rows[0][:2] == ("提交日期", "Q1 满意吗") and len(rows) == 5
    flat = " ".join(str(v) for r in rows for v in r)
    for person, _ in raw:
        assert person.name not in flat and person.employee_number not in flat
    assert "第一党支部" not in flat and "正式党员" not in flat


def test_the_export_follows_the_filter(people):
    s = survey(QUESTIONS)
    raw = fill(s, people)
    client = admin_client(superuser())
    content = client.get(f"/admin/surveys/{s.pk}/export.xlsx?f=Q1:B").content
    rows = list(read_rows(io.BytesIO(content)))
    assert len(rows) - 1 == sum(1 for _, a in raw if a["Q1"] == "B")


def test_the_printable_summary_stands_alone(people):
    s = survey(QUESTIONS)
    fill(s, people[:3])
    body = admin_client(superuser()).get(f"/admin/surveys/{s.pk}/print/").content.decode()
    assert "结果摘要" in body and "答卷 3 份" in body and "<svg" in body
    assert "wagtail" not in body.lower()


def test_results_visible_to_respondents_only_where_the_survey_says_so(people):
    from tests.test_surveys_support import signed_in

    s = survey(QUESTIONS[:1], results_public=True)
    respond(s, {"Q1": "A"}, member=people[0])
    assert "当前结果（共 1 份）" in signed_in(people[0]).get(f"/s/{s.pk}/done/").content.decode()
    hidden = survey(QUESTIONS[:1], title="不公开")
    respond(hidden, {"Q1": "A"}, member=people[0])
    assert "当前结果" not in signed_in(people[0]).get(f"/s/{hidden.pk}/done/").content.decode()


def test_share_page_draws_a_qr_code_and_a_template_can_be_copied(people):
    s = survey(QUESTIONS, is_template=True, title="满意度模板")
    client = admin_client(user_in("编辑", "editor"))
    page = client.get(f"/admin/surveys/{s.pk}/share/").content.decode()
    assert f"/s/{s.pk}/" in page and "<svg" in page
    r = client.post(f"/admin/surveys/{s.pk}/copy/")
    copy = Survey.objects.exclude(pk=s.pk).get()
    assert r["Location"].endswith(f"/{copy.pk}/") or str(copy.pk) in r["Location"]
    assert copy.title == "满意度模板（副本）" and not copy.is_template and not copy.published
    assert [q.code for q in copy.questions.all()] == [q.code for q in s.questions.all()]


def test_the_demo_loads_twice_without_doubling():
    from weizhi.surveys.demo import load_demo_surveys
    from weizhi.surveys.models import CheckIn, Meeting

    first = load_demo_surveys()
    assert first == load_demo_surveys()
    assert first["surveys"] == 3 and first["responses"] > 200 and first["checkins"] > 0
    signup = Survey.objects.get(kind=Survey.Kind.SIGNUP)
    assert signup.responses.filter(waiting=True).count() == 4
    poll = Survey.objects.get(anonymous=True)
    assert not poll.responses.exclude(member=None).exists()
    assert Meeting.objects.count() == 1 and CheckIn.objects.count() == first["checkins"]


def test_no_admin_page_of_an_anonymous_survey_names_anyone(people):
    s = survey([QUESTIONS[0], QUESTIONS[5]], anonymous=True, audience=Survey.Audience.EVERYONE)
    for person in people[:5]:
        respond(s, {"Q1": "A", "Q2": "多组织学习"}, member=person)
    client = admin_client(superuser())
    pages = [
        f"/admin/surveys/{s.pk}/results/?f=Q1:A",
        f"/admin/surveys/{s.pk}/print/",
        f"/admin/survey_admin/edit/{s.pk}/",
        "/admin/survey_admin/",
    ]
    for url in pages:
        body = client.get(url).content.decode()
        for person in people[:5]:
            assert person.name not in body, url  # (numbers like 1000 are in any page)
    assert not s.responses.exclude(member=None).exists()
