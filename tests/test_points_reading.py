"""The read_article award: the article page reports it opened and, after the rule's minimum
time, that it was read; the server keeps its own clock, awards a signed-in member once per
article per day, and refuses early, foreign-origin and anonymous reports."""

import time

import pytest
from django.urls import reverse

from tests import factories
from tests.quiz_support import signed_in
from tests.test_audience_support import fast_passwords, tree  # noqa: F401
from weizhi.points import reading
from weizhi.points.models import Entry, Rule

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]
SAME = {"HTTP_SEC_FETCH_SITE": "same-origin"}


@pytest.fixture
def article(home):
    return factories.article(body="正文段落。" * 20)


def report(client, page, phase: str):
    return client.post(reverse("points:read", args=[page.pk]), {"phase": phase}, **SAME)


def test_the_article_page_carries_the_read_beacon(client, article):
    html = client.get(article.url).content.decode()
    assert f'data-read-url="{reverse("points:read", args=[article.pk])}"' in html


def test_a_member_who_reads_long_enough_earns_once_a_day(client, article, monkeypatch):
    member = signed_in(client, tree()["first"], "1001")
    Rule.objects.filter(action="read_article").update(min_seconds=2)
    start = report(client, article, "start").json()
    assert start == {"award": True, "after": 2}
    early = report(client, article, "done")
    assert early.status_code == 409 and "阅读时间还不够" in early.json()["error"]
    assert not Entry.objects.exists()
    time.sleep(1.2)  # the rule's 2 s less the slack the page's timer is allowed
    done = report(client, article, "done").json()
    assert done == {"outcome": "awarded", "points": 1}
    again = report(client, article, "done").json()
    assert again["outcome"] == "duplicate"
    entry = Entry.objects.get()
    assert entry.member == member and entry.action == "read_article"
    assert entry.key.startswith(f"page:{article.pk}:")


def test_done_without_a_start_earns_nothing(client, article):
    signed_in(client, tree()["first"], "1001")
    Rule.objects.filter(action="read_article").update(min_seconds=0)
    assert report(client, article, "done").status_code == 409
    assert not Entry.objects.exists()


def test_an_anonymous_reader_is_told_there_is_nothing_to_earn(client, article):
    assert report(client, article, "start").json() == {"award": False}
    assert report(client, article, "done").json() == {"award": False}
    assert not Entry.objects.exists()


def test_a_report_from_another_site_is_refused(client, article):
    signed_in(client, tree()["first"], "1001")
    response = client.post(
        reverse("points:read", args=[article.pk]), {"phase": "start"},
        HTTP_SEC_FETCH_SITE="cross-site",
    )  # fmt: skip
    assert response.status_code == 403


def test_an_unpublished_page_earns_nothing(client, home):
    signed_in(client, tree()["first"], "1001")
    assert client.post(reverse("points:read", args=[999999]), **SAME).status_code == 404


def test_a_session_remembers_only_the_latest_starts(client, home, monkeypatch):
    monkeypatch.setattr(reading, "KEPT", 2)
    signed_in(client, tree()["first"], "1001")
    pages = [factories.article(title=f"文章{i}") for i in range(3)]
    for page in pages:
        report(client, page, "start")
    assert set(client.session[reading.SESSION_KEY]) == {str(pages[1].pk), str(pages[2].pk)}


def test_a_member_flooding_reports_is_slowed_down(client, article, monkeypatch):
    monkeypatch.setattr(reading, "READS_PER_MINUTE", 3)
    signed_in(client, tree()["first"], "1001")
    codes = [report(client, article, "start").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
