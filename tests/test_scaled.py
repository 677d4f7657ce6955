"""Scaled mode against a real Redis: shared counters, shared page cache, the RQ queue.

These run where REDIS_TEST_URL names a Redis server (CI starts one); elsewhere they are
reported as skipped, never as passed.
"""

import os

import pytest
import redis

from tests import factories
from weizhi.analytics import counters
from weizhi.analytics.models import PageStats
from weizhi.content import pagecache

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")
pytestmark = pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL is not set")


@pytest.fixture
def scaled(settings):
    client = redis.Redis.from_url(REDIS_TEST_URL)
    client.flushdb()
    settings.REDIS_URL = REDIS_TEST_URL
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_TEST_URL,
            "KEY_PREFIX": "weizhi-test",
        }
    }
    counters.reset_counter()
    yield client
    counters.reset_counter()
    client.flushdb()


def test_reads_wait_in_redis_until_the_scheduler_flushes_them(client, home, scaled):
    page = factories.article()
    for _ in range(3):
        assert client.get(page.url).status_code == 200
    counter = counters.get_counter()
    assert isinstance(counter, counters.RedisCounter)
    assert counter.pending() == 3
    assert not PageStats.objects.filter(page_id=page.pk).exists()
    counter.flush()
    row = PageStats.objects.get(page_id=page.pk)
    assert (row.reads, row.visitors) == (3, 1)
    assert counter.pending() == 0


def test_a_batch_whose_flusher_died_after_claiming_it_is_written_by_the_next_flush(
    client, home, scaled
):
    page = factories.article()
    client.get(page.url)
    client.get(f"/api/pages/{page.pk}/stats")  # as the page's script does: now a visitor too
    counter = counters.get_counter()
    # What a flush that died (or whose database went away) after claiming leaves behind.
    (batch,) = counter.claim()
    client.get(page.url)
    assert counter.pending() == 2
    counter.flush()
    row = PageStats.objects.get(page_id=page.pk)
    assert (row.reads, row.visitors) == (2, 1)
    assert counter.pending() == 0
    assert not scaled.exists(*counter.batch_keys(batch), counter.BATCHES)


def test_a_batch_an_older_version_set_aside_is_written_once(client, home, scaled):
    page = factories.article()
    client.get(page.url)
    client.get(f"/api/pages/{page.pk}/stats")
    counter = counters.get_counter()
    # Versions before exactly-once flushes moved the live keys aside under these names.
    scaled.rename(counter.READS, f"{counter.READS}:flushing")
    scaled.rename(counter.VISITORS, f"{counter.VISITORS}:flushing")
    client.get(page.url)
    counter.flush()
    row = PageStats.objects.get(page_id=page.pk)
    assert (row.reads, row.visitors) == (2, 1)
    counter.flush()
    assert PageStats.objects.get(page_id=page.pk).reads == 2
    assert not [key for key in scaled.scan_iter("weizhi:counter:*")]


def test_the_page_cache_lives_in_redis_and_publishing_purges_it(client, home, scaled):
    page = factories.article(title="共享缓存")
    assert client.get(page.url)["X-Page-Cache"] == "miss"
    assert client.get(page.url)["X-Page-Cache"] == "hit"
    before = pagecache.generation()
    page.title = "共享缓存(更新)"
    page.save_revision().publish()
    assert pagecache.generation() != before
    response = client.get(page.url)
    assert response["X-Page-Cache"] == "miss"
    assert "共享缓存(更新)" in response.content.decode()
    assert any(key.startswith(b"weizhi-test") for key in scaled.scan_iter())


def test_healthz_reports_the_redis_cache(client, db, scaled):
    report = client.get("/healthz").json()
    assert report["cache"] == {"ok": True, "backend": "RedisCache"}
