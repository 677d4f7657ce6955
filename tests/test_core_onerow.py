"""OneRow: a row by primary key read from SQL compiled once, the same instance the ORM
builds — converted fields, the select_related row, the queryset's filters."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.quiz_support import bank, one_minute
from tests.test_audience_support import member, tree
from weizhi.audience.models import Member
from weizhi.core.onerow import OneRow
from weizhi.quiz import services
from weizhi.quiz.models import Attempt

pytestmark = pytest.mark.django_db

ACTIVE = OneRow(lambda: Member.objects.active().select_related("branch"))
ATTEMPTS = OneRow(lambda: Attempt.objects.select_related("activity"))


def fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_a_member_is_the_orms_with_its_branch_read_in_the_same_query(
    django_assert_num_queries,
):
    wang = member(tree()["first"], "1001", name="王五")
    with django_assert_num_queries(1):
        got = ACTIVE.get(wang.pk)
        assert got.branch.name == "第一党支部"  # no second query
    assert fields(got) == fields(Member.objects.get(pk=wang.pk))
    assert fields(got.branch) == fields(wang.branch)
    assert got._state.adding is False and got._state.db == "default"


def test_the_querysets_filter_holds_and_a_missing_row_is_none():
    wang = member(tree()["first"], "1001")
    assert ACTIVE.get(wang.pk + 1000) is None
    Member.objects.filter(pk=wang.pk).update(active=False)
    assert ACTIVE.get(wang.pk) is None
    Member.objects.filter(pk=wang.pk).update(active=True)
    assert ACTIVE.get(wang.pk).pk == wang.pk  # compiled once, the key changes each time


def test_dates_decimals_and_json_come_back_converted():
    bank()
    wang = member(tree()["first"], "1001")
    attempt = services.start(one_minute(), wang)
    done = timezone.now() + timedelta(seconds=5)
    Attempt.objects.filter(pk=attempt.pk).update(score=Decimal("7.5"), finished_at=done)
    got = ATTEMPTS.get(attempt.pk)
    orm = Attempt.objects.select_related("activity").get(pk=attempt.pk)
    assert fields(got) == fields(orm)
    assert got.score == Decimal("7.5") and isinstance(got.score, Decimal)
    assert got.finished_at == done and got.finished_at.tzinfo is not None
    assert got.drawn == orm.drawn and isinstance(got.drawn, list) and got.drawn
    assert fields(got.activity) == fields(orm.activity)


def test_the_session_store_reads_a_live_session_and_refuses_an_expired_one(settings):
    from weizhi.core.sessions import SessionStore

    store = SessionStore()
    store["member"] = 7
    store.create()
    assert SessionStore(store.session_key).load() == {"member": 7}
    assert SessionStore("no-such-key-" + "x" * 20).load() == {}
    Session = SessionStore.get_model_class()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    stale = SessionStore(store.session_key)
    assert stale.load() == {} and stale.session_key is None


def test_embedded_mode_uses_it():
    from django.conf import settings

    scaled = "django.contrib.sessions.backends.cached_db"
    assert (scaled if settings.REDIS_URL else "weizhi.core.sessions") == settings.SESSION_ENGINE
