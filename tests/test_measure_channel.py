"""Reads by channel (inside WeChat or elsewhere) and by a signed-in member's branch, and shares:
counted in the buffered counters (no database write on the article path), written by the
flush exactly as recorded (embedded with its journal, replayed after a death, and in Redis),
and rolled up into the daily aggregates, property-style, re-runs and pruning included."""

import json
import os
import random
from collections import Counter
from datetime import date, timedelta

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories
from tests.test_audience_support import follower, member, tree
from weizhi.analytics import counters
from weizhi.analytics.counters import LocalCounter, RedisCounter, replay_journals
from weizhi.analytics.models import (
    DailyActivity,
    DailyBranchReads,
    DailyPageStats,
    DailyPageSummary,
    DailyVisitor,
    PageStats,
    RolledDay,
)
from weizhi.analytics.rollup import bounds, prune, roll_day
from weizhi.audience.identity import SESSION_FOLLOWER_KEY
from weizhi.audience.models import Follower
from weizhi.moderation.models import Item as ModerationItem
from weizhi.voices.models import Comment

pytestmark = pytest.mark.django_db
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")
WECHAT_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50"
PHONE_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def generate(rng: random.Random, pages: list[int], branches: list[int], days: list[date]):
    """Random reads (some inside WeChat, some by a member of a branch) and shares: the calls
    to make, and what the database must hold after a flush."""
    calls, want_reads, want_wechat, want_shares, want_branch = (
        [],
        Counter(),
        Counter(),
        Counter(),
        Counter(),
    )
    for _ in range(600):
        page, day = rng.choice(pages), rng.choice(days)
        if rng.random() < 0.1:
            calls.append((page, None, day, 0, ("s",)))
            want_shares[(page, day)] += 1
            continue
        tags = ("w",) if rng.random() < 0.6 else ()
        branch = rng.choice(branches) if rng.random() < 0.3 else None
        if branch is not None:
            tags += (f"b{branch}",)
            want_branch[(page, day, branch)] += 1
        if "w" in tags:
            want_wechat[(page, day)] += 1
        want_reads[(page, day)] += 1
        calls.append((page, f"{rng.randrange(40):032x}", day, 1, tags))
    return calls, (want_reads, want_wechat, want_shares, want_branch)


def stored() -> tuple[Counter, Counter, Counter, Counter]:
    reads, wechat, shares = Counter(), Counter(), Counter()
    for row in DailyPageStats.objects.all():
        for into, n in ((reads, row.reads), (wechat, row.wechat_reads), (shares, row.shares)):
            if n:
                into[(row.page_id, row.day)] = n
    branch = Counter(
        {(r.page_id, r.day, r.branch_id): r.reads for r in DailyBranchReads.objects.all()}
    )
    return reads, wechat, shares, branch


@pytest.fixture
def pages_and_branches(home):
    pages = [factories.article(title=f"频道{i}").pk for i in range(3)]
    return pages, [b.pk for b in tree().values()]


@pytest.mark.parametrize("seed", [1, 2])
def test_an_embedded_flush_writes_channels_branches_and_shares_as_recorded(
    pages_and_branches, tmp_path, seed
):
    pages, branches = pages_and_branches
    today = timezone.localdate()
    calls, want = generate(random.Random(seed), pages, branches, [today, today - timedelta(1)])
    counter = LocalCounter(3600, background=False, journal_dir=tmp_path)
    for page, reader, day, reads, tags in calls:
        counter.record(page, reader, day, reads, tags)
    counter.flush()
    assert stored() == want
    assert sum(PageStats.objects.values_list("reads", flat=True)) == sum(want[0].values())
    assert list(tmp_path.glob("*.reads")) == []
    counter.discard()


def test_the_journal_of_a_process_that_died_is_replayed_with_its_channels_and_shares(
    pages_and_branches, tmp_path
):
    pages, branches = pages_and_branches
    today = timezone.localdate()
    calls, want = generate(random.Random(7), pages, branches, [today])
    dead = LocalCounter(3600, background=False, journal_dir=tmp_path)
    for page, reader, day, reads, tags in calls:
        dead.record(page, reader, day, reads, tags)
    # Its process dies: the memory is gone, the journal stays, and its lock is let go.
    dead._journal.close()
    dead._pid = -1
    assert replay_journals(tmp_path) == sum(want[0].values())
    assert stored() == want
    dead.discard()  # what its memory held died with it


def test_a_malformed_tag_in_a_journal_line_skips_only_that_line(pages_and_branches, tmp_path):
    pages, _branches = pages_and_branches
    day = timezone.localdate()
    name = tmp_path / "1-1-abc.reads"
    ordinal = day.toordinal()
    lines = [
        f"{pages[0]} {ordinal} 1 - w",
        f"{pages[0]} {ordinal} 1 - x9",
        f"{pages[0]} {ordinal} 1 -",
    ]
    name.write_bytes("".join(f"{line}\n" for line in lines).encode())
    replay_journals(tmp_path)
    row = DailyPageStats.objects.get(page_id=pages[0])
    assert (row.reads, row.wechat_reads) == (2, 1)


@pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL is not set")
def test_a_scaled_flush_writes_channels_branches_and_shares_as_recorded(pages_and_branches):
    pages, branches = pages_and_branches
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    try:
        today = timezone.localdate()
        calls, want = generate(random.Random(3), pages, branches, [today, today - timedelta(2)])
        scaled = RedisCounter(REDIS_TEST_URL)
        for page, reader, day, reads, tags in calls[:300]:
            scaled.record(page, reader, day, reads, tags)
        (batch,) = scaled.claim()  # a flusher claims, then dies before writing
        for page, reader, day, reads, tags in calls[300:]:
            scaled.record(page, reader, day, reads, tags)
        scaled.flush()
        assert stored() == want
        assert not client.exists(*scaled.batch_keys(batch), scaled.TALLIES)
    finally:
        client.flushdb()


def writes(queries) -> list[str]:
    verbs = ("INSERT", "UPDATE", "DELETE")
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(verbs)]


def test_a_read_inside_wechat_is_counted_as_such_and_writes_nothing_on_the_way(client, home):
    story = factories.article(title="微信里读")
    with CaptureQueriesContext(connection) as fresh:
        assert client.get(story.url, HTTP_USER_AGENT=WECHAT_UA).status_code == 200
    with CaptureQueriesContext(connection) as hit:
        response = client.get(story.url, HTTP_USER_AGENT=WECHAT_UA)
    assert response["X-Page-Cache"] == "hit"
    client.get(story.url, HTTP_USER_AGENT=PHONE_UA)
    assert writes(fresh.captured_queries) == [] and writes(hit.captured_queries) == []
    counters.get_counter().flush()
    row = DailyPageStats.objects.get(page=story)
    assert (row.reads, row.wechat_reads, row.shares) == (3, 2, 0)


def signed_in_follower(client, openid: str, bound_to=None) -> Follower:
    someone = follower(openid)
    if bound_to is not None:
        Follower.objects.filter(pk=someone.pk).update(member=bound_to)
    session = client.session
    session[SESSION_FOLLOWER_KEY] = someone.pk
    session.save()
    return someone


def test_a_signed_in_members_read_counts_for_their_branch(client, home):
    branches = tree()
    story = factories.article(title="支部里读")
    reader = member(branches["second"], "3101")
    signed_in_follower(client, "o-branch-reader", bound_to=reader)
    with CaptureQueriesContext(connection) as read:
        assert client.get(story.url, HTTP_USER_AGENT=WECHAT_UA).status_code == 200
    assert writes(read.captured_queries) == []
    client.get(story.url, HTTP_USER_AGENT=PHONE_UA)
    counters.get_counter().flush()
    row = DailyBranchReads.objects.get(page=story)
    assert (row.branch_id, row.reads) == (branches["second"].pk, 2)
    assert DailyPageStats.objects.get(page=story).wechat_reads == 1


def test_a_follower_who_is_no_member_reads_without_a_branch(client, home):
    story = factories.article(title="粉丝来读")
    signed_in_follower(client, "o-loner")
    client.get(story.url)
    counters.get_counter().flush()
    assert DailyPageStats.objects.get(page=story).reads == 1
    assert not DailyBranchReads.objects.exists()


def comment_on(page, at) -> None:
    item = ModerationItem.objects.create(kind="comment", text="好文章")
    Comment.objects.create(page=page, item=item, author_name="读者", text="好文章", created_at=at)


def scatter(rng: random.Random, days: list[date]) -> list[int]:
    branches = list(tree().values())
    factories.site_home()
    home = factories.column()
    pages = [factories.article(home, title=f"汇总{i}") for i in range(4)]
    for page in pages:
        for day in days:
            reads = rng.randrange(0, 300)
            DailyPageStats.objects.create(
                page=page,
                day=day,
                reads=reads,
                wechat_reads=rng.randrange(0, reads + 1),
                shares=rng.randrange(0, 20),
            )
            for branch in rng.sample(branches, rng.randrange(0, 4)):
                DailyBranchReads.objects.create(
                    page=page, day=day, branch=branch, reads=rng.randrange(1, 30)
                )
            for _ in range(rng.randrange(0, 3)):
                comment_on(page, bounds(day)[0] + timedelta(seconds=rng.randrange(86400)))
    return [p.pk for p in pages]


def pages_of_raw(day: date) -> dict:
    start, end = bounds(day)
    return {
        s.page_id: (
            s.reads,
            s.wechat_reads,
            s.shares,
            Comment.objects.filter(
                page_id=s.page_id, created_at__gte=start, created_at__lt=end
            ).count(),
        )
        for s in DailyPageStats.objects.filter(day=day)
    }


def pages_of_aggregates(day: date) -> dict:
    return {
        s.page_id: (s.reads, s.wechat_reads, s.shares, s.comments)
        for s in DailyPageSummary.objects.filter(day=day)
    }


def branch_reads_of_raw(day: date) -> dict:
    out: Counter = Counter()
    for r in DailyBranchReads.objects.filter(day=day):
        out[r.branch_id] += r.reads
    return dict(out)


def branch_reads_of_aggregates(day: date) -> dict:
    rows = DailyActivity.objects.filter(day=day, kind="read")
    assert all(r.people == 0 for r in rows)
    return {r.branch_id: r.events for r in rows}


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_rolled_channels_shares_comments_and_branch_reads_equal_the_raw_rows(seed):
    rng = random.Random(seed)
    today = timezone.localdate()
    days = [today - timedelta(days=i) for i in range(4)]
    scatter(rng, days)
    for day in days:
        roll_day(day)
    first = {day: (pages_of_aggregates(day), branch_reads_of_aggregates(day)) for day in days}
    for day in days:
        assert first[day] == (pages_of_raw(day), branch_reads_of_raw(day))
    for day in reversed(days):
        roll_day(day)
    assert {d: (pages_of_aggregates(d), branch_reads_of_aggregates(d)) for d in days} == first


def test_pruning_drops_old_branch_reads_of_rolled_days_only_and_keeps_their_aggregates(settings):
    settings.ANALYTICS_RAW_DAYS = 2
    today = timezone.localdate()
    days = [today - timedelta(days=i) for i in range(5)]
    scatter(random.Random(9), days)
    for day in days[:4]:  # the oldest day is never rolled
        roll_day(day)
    before = {day: branch_reads_of_aggregates(day) for day in days[:4]}
    raw_before = {day: branch_reads_of_raw(day) for day in days}
    prune(today)
    cutoff = today - timedelta(days=2)
    rolled = set(RolledDay.objects.values_list("day", flat=True))
    for day in days:
        kept = day >= cutoff or day not in rolled
        assert branch_reads_of_raw(day) == (raw_before[day] if kept else {})
    assert {day: branch_reads_of_aggregates(day) for day in days[:4]} == before
    # A re-run of a pruned day cannot rebuild its branch reads: it is not rolled again by the
    # job (which rolls again only the last days, far younger than the pruning age), and the
    # aggregates stay.
    assert DailyVisitor.objects.filter(day__lt=cutoff, day__in=rolled).count() == 0


def share(client, page_id, **headers):
    headers.setdefault("HTTP_SEC_FETCH_SITE", "same-origin")
    return client.post(f"/api/pages/{page_id}/share", **headers)


def test_a_share_is_counted_once_per_callback_and_only_after_the_flush(client, home):
    story = factories.article(title="分享我")
    for _ in range(3):
        response = share(client, story.pk)
        assert response.status_code == 200 and response.json() == {"shared": True}
    assert not DailyPageStats.objects.filter(page=story).exists()
    counters.get_counter().flush()
    row = DailyPageStats.objects.get(page=story)
    assert (row.shares, row.reads) == (3, 0)


def test_share_refuses_a_bad_page_id_an_unknown_page_and_another_site(client, home):
    story = factories.article(title="分享我")
    bad = share(client, "abc")
    assert bad.status_code == 400 and bad.json()["error"] == "稿件编号无效。"
    assert share(client, "9" * 40).status_code == 400
    # Digits to str.isdigit that int() refuses (superscript two, Arabic-Indic seven).
    assert share(client, "\u00b2").status_code == 400
    assert share(client, "\u0667").status_code == 400
    missing = share(client, story.pk + 1000)
    assert missing.status_code == 404 and missing.json()["error"] == "稿件不存在或已下线。"
    elsewhere = share(client, story.pk, HTTP_SEC_FETCH_SITE="cross-site")
    assert elsewhere.status_code == 403 and "来源" in elsewhere.json()["error"]
    assert client.get(f"/api/pages/{story.pk}/share").status_code == 405
    counters.get_counter().flush()
    assert not DailyPageStats.objects.exists()


def test_share_is_rate_limited_per_address(client, home):
    story = factories.article(title="分享很多次")
    answers = [share(client, story.pk).status_code for _ in range(21)]
    assert answers == [200] * 20 + [429]
    assert json.loads(share(client, story.pk).content)["error"] == "操作太频繁，请稍后再试。"
    counters.get_counter().flush()
    assert DailyPageStats.objects.get(page=story).shares == 20
