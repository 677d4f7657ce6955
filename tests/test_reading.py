"""Reading a story: the page cache, read counting (PV and UV) and likes."""

import threading
from datetime import date
from urllib.parse import unquote

import pytest
from django.db import connection
from django.test import Client

from tests import factories, wsgi_entry
from weizhi.analytics import readers
from weizhi.analytics.counters import LocalCounter, get_counter
from weizhi.analytics.models import DailyVisitor, PageStats
from weizhi.analytics.readers import READER_COOKIE
from weizhi.audience.identity import SESSION_FOLLOWER_KEY
from weizhi.audience.models import Follower
from weizhi.content import pagecache


def stats(page) -> PageStats:
    get_counter().flush()
    return PageStats.objects.get(page_id=page.pk)


def test_a_story_is_served_from_the_cache_and_still_counted(client, home):
    page = factories.article(title="一线的坚守")
    first = client.get(page.url)
    second = client.get(page.url)
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert "一线的坚守" in second.content.decode()
    assert stats(page).reads == 2


def test_one_reader_is_one_visitor_a_day_however_often_they_read(client, home):
    page = factories.article()
    client.get(page.url)
    assert READER_COOKIE in client.cookies
    client.get(page.url)
    client.get(f"/api/pages/{page.pk}/stats")
    # A newcomer's first read carries no cookie yet; the page's script asks for the live
    # counts with the cookie it has just been given, which makes them a visitor.
    newcomer = Client(REMOTE_ADDR="10.0.0.9")
    newcomer.get(page.url)
    newcomer.get(f"/api/pages/{page.pk}/stats")
    row = stats(page)
    assert row.reads == 3
    assert row.visitors == 2
    assert DailyVisitor.objects.filter(page=page).count() == 2


def test_publishing_a_change_purges_the_cached_page(client, home):
    page = factories.article(title="旧标题")
    assert "旧标题" in client.get(page.url).content.decode()
    assert "旧标题" in client.get("/").content.decode()
    page.title = "新标题"
    page.save_revision().publish()
    assert "新标题" in client.get(page.url).content.decode()
    assert "新标题" in client.get("/").content.decode()


def test_unpublishing_removes_the_page_at_once(client, home):
    page = factories.article(title="即将下线")
    assert client.get(page.url).status_code == 200
    page.unpublish()
    response = client.get(page.url)
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


def test_signed_in_editors_bypass_the_cache(client, home):
    from tests.base import superuser

    page = factories.article()
    client.force_login(superuser())
    response = client.get(page.url)
    assert "X-Page-Cache" not in response
    assert stats(page).reads == 1


def test_the_repost_shows_its_source_and_links_to_the_original(client, home):
    page = factories.repost(source_name="人民日报", source_url="https://example.org/a/1")
    html = client.get(page.url).content.decode()
    assert "来源：人民日报" in html
    assert 'href="https://example.org/a/1"' in html


def like(client: Client, page, **headers):
    return client.post(f"/api/pages/{page.pk}/like", HTTP_SEC_FETCH_SITE="same-origin", **headers)


def test_a_reader_likes_a_story_once(client, home):
    page = factories.article()
    client.get(page.url)
    first = like(client, page)
    assert first.json() == {"liked": True, "added": True, "likes": 1}
    again = like(client, page)
    assert again.json()["added"] is False
    assert again.json()["likes"] == 1
    assert client.get(f"/api/pages/{page.pk}/stats").json()["liked"] is True


def test_a_like_from_another_site_is_refused(client, home):
    page = factories.article()
    response = client.post(f"/api/pages/{page.pk}/like", HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 403
    assert "来源" in response.json()["error"]
    assert not PageStats.objects.filter(page_id=page.pk, likes__gt=0).exists()


def test_liking_a_missing_story_says_so_in_chinese(client, home):
    response = like(client, home)
    assert response.status_code == 404
    assert response.json()["error"] == "稿件不存在或已下线。"


def test_likes_are_rate_limited_per_address(client, home):
    page = factories.article()
    codes = []
    for _ in range(31):
        browser = Client(REMOTE_ADDR="10.1.1.1")
        browser.get(page.url)
        codes.append(like(browser, page).status_code)
    assert codes[:30] == [200] * 30
    assert codes[30] == 429


def cookie_from(headers: dict) -> str:
    name, value = headers["Set-Cookie"].split(";", 1)[0].split("=", 1)
    assert name == READER_COOKIE
    return value


UNSIGNED = "0123456789abcdef" * 2  # what every reader cookie looked like before signing


def test_a_forged_reader_cookie_is_a_read_but_never_a_visitor(client, home):
    page = factories.article()
    client.get(page.url)
    signed = client.cookies[READER_COOKIE].value
    forgeries = [UNSIGNED, "f" * 32, signed[:33] + "0" * 32, signed + "0", "<script>"]
    for forged in forgeries:
        browser = Client()
        browser.cookies[READER_COOKIE] = forged
        response = browser.get(page.url)
        assert readers.verified(response.cookies[READER_COOKIE].value) is not None
        assert browser.get(f"/api/pages/{page.pk}/stats").json()["liked"] is False
    row = stats(page)
    assert row.reads == 1 + len(forgeries)
    # Each forger's stats request came with the signed cookie its read was given: one
    # visitor per browser that keeps our cookie, none for a forged value.
    assert row.visitors == len(forgeries)


def test_a_forged_reader_cookie_cannot_like_a_second_time(client, home):
    page = factories.article()
    client.get(page.url)
    assert like(client, page).json()["added"] is True
    signed = client.cookies[READER_COOKIE].value
    for forged in (UNSIGNED, signed[:33] + "f" * 32, ""):
        client.cookies[READER_COOKIE] = forged
        response = like(client, page)
        assert response.status_code == 409
        assert "请再点一次" in response.json()["error"]
        # The refusal comes with a cookie of our own; a browser that keeps it may like.
        assert readers.verified(client.cookies[READER_COOKIE].value) is not None
    assert PageStats.objects.get(page_id=page.pk).likes == 1
    assert like(client, page).json()["added"] is True


def test_two_browsers_behind_one_address_with_the_same_phone_each_like_once(home):
    page = factories.article()
    phone = {"REMOTE_ADDR": "10.2.2.2", "HTTP_USER_AGENT": "Mozilla/5.0 (iPhone) MicroMessenger"}
    colleagues = [Client(**phone), Client(**phone)]
    for browser in colleagues:
        browser.get(page.url)
    assert [like(browser, page).json()["added"] for browser in colleagues] == [True, True]
    assert like(colleagues[0], page).json()["added"] is False
    assert PageStats.objects.get(page_id=page.pk).likes == 2


def test_a_wechat_follower_is_one_reader_in_every_browser_they_sign_in_from(home):
    page = factories.article()
    follower = Follower.objects.create(openid="o-reader-1")
    phone, computer = Client(REMOTE_ADDR="10.3.0.1"), Client(REMOTE_ADDR="192.168.1.20")
    for browser in (phone, computer):
        session = browser.session
        session[SESSION_FOLLOWER_KEY] = follower.pk
        session.save()
        browser.get(page.url)
    assert like(phone, page).json()["added"] is True
    assert like(computer, page).json()["added"] is False
    cookie = phone.cookies[READER_COOKIE].value
    assert cookie == computer.cookies[READER_COOKIE].value
    assert "o-reader-1" not in cookie
    # Once the session is over, the cookie set while signed in keeps them that reader, on
    # the cache-hit path too (a stranger's read, which is no visitor yet, fills the cache).
    Client().get(page.url)
    later = Client()
    later.cookies[READER_COOKIE] = cookie
    assert later.get(page.url)["X-Page-Cache"] == "hit"
    assert like(later, page).json()["added"] is False
    row = stats(page)
    assert (row.reads, row.visitors, row.likes) == (4, 1, 1)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_readers_in_several_processes_lose_no_count(tmp_path):
    """Eight threads read through two separate counters (as two web processes would, each
    with its journal) while each counter is flushed over and over at the same time, and
    looks for other processes' journals to replay; every read must land, once."""
    factories.site_home()
    page = factories.article()
    journals = tmp_path / "reads"
    counters = [LocalCounter(60, background=False, journal_dir=journals) for _ in range(2)]
    readers, reads_each = 8, 60
    errors: list[BaseException] = []
    reading = threading.Event()

    def read(n: int) -> None:
        try:
            for i in range(reads_each):
                counters[n % 2].record(page.pk, f"{n:02d}{i % 3:030d}", date.today())
        except BaseException as exc:  # reported below
            errors.append(exc)

    def keep_flushing(counter: LocalCounter) -> None:
        try:
            while not reading.is_set():
                counter.flush()
            counter.flush()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    flushers = [threading.Thread(target=keep_flushing, args=(c,)) for c in counters * 2]
    threads = [threading.Thread(target=read, args=(n,)) for n in range(readers)]
    for t in flushers + threads:
        t.start()
    for t in threads:
        t.join()
    reading.set()
    for t in flushers:
        t.join()
    # A flush that failed (the test database can report its tables locked) is tried again
    # by the next one, as the exit flush would.
    for counter in counters:
        counter.flush()
        counter.discard()
    assert not errors
    row = PageStats.objects.get(page_id=page.pk)
    assert row.reads == readers * reads_each
    assert row.visitors == readers * 3
    assert not list(journals.iterdir())


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_page_requests_are_all_counted():
    factories.site_home()
    page = factories.article()
    url = page.url
    per_thread, threads_n = 25, 6
    statuses: list[int] = []

    def read(n: int) -> None:
        client = Client(REMOTE_ADDR=f"10.0.0.{n}")
        try:
            for _ in range(per_thread):
                statuses.append(client.get(url).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=read, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(200) == per_thread * threads_n
    get_counter().flush()
    row = PageStats.objects.get(page_id=page.pk)
    assert row.reads == per_thread * threads_n
    assert row.visitors == threads_n


def wsgi_get(path: str, **environ) -> tuple[str, dict, bytes]:
    return wsgi_entry.call("GET", unquote(path).encode().decode("latin-1"), **environ)


def test_the_wsgi_entry_answers_cached_pages_with_the_same_headers_and_counts_them(home):
    page = factories.article(title="快速通道")
    status, fresh_headers, fresh = wsgi_get(page.url)
    assert status.startswith("200") and fresh_headers["X-Page-Cache"] == "miss"
    status, headers, body = wsgi_get(page.url)
    assert headers["X-Page-Cache"] == "hit"
    assert body == fresh
    for name in ("Content-Type", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):
        assert headers[name] == fresh_headers[name]
    assert headers["Set-Cookie"].startswith(f"{READER_COOKIE}=")
    assert stats(page).reads == 2


def test_the_wsgi_entry_replaces_a_forged_reader_cookie_and_counts_no_visitor_for_it(home):
    page = factories.article()
    wsgi_get(page.url)
    _status, headers, _body = wsgi_get(page.url, HTTP_COOKIE=f"{READER_COOKIE}={UNSIGNED}")
    assert headers["X-Page-Cache"] == "hit"
    signed = cookie_from(headers)
    assert readers.verified(signed) is not None
    _status, headers, _body = wsgi_get(page.url, HTTP_COOKIE=f"{READER_COOKIE}={signed}")
    assert "Set-Cookie" not in headers
    row = stats(page)
    assert (row.reads, row.visitors) == (3, 1)


def test_a_host_django_refuses_never_gets_a_cached_page(home):
    page = factories.article()
    wsgi_get(page.url)
    status, _headers, _body = wsgi_get(page.url, HTTP_HOST="evil.example")
    assert status.startswith("400")


def test_django_does_not_look_a_page_up_again_after_the_wsgi_layer_missed(home, monkeypatch):
    from django.core.cache import cache

    page = factories.article(title="只查一次")
    looked_up: list[str] = []
    real_get = cache.get

    def get(key, *args, **kwargs):
        if key.startswith(pagecache.KEY_PREFIX):
            looked_up.append(key)
        return real_get(key, *args, **kwargs)

    monkeypatch.setattr(cache, "get", get)
    _status, headers, _body = wsgi_get(page.url)
    assert headers["X-Page-Cache"] == "miss"
    assert len(looked_up) == 1
