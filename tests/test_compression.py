"""Pages are gzipped for clients that accept it — fresh, from Django's cache door and from the
WSGI layer's — except answers that carry a CSRF token; files keep their bytes."""

import gzip

import pytest
from django.conf import settings
from django.test import override_settings

from tests import factories, wsgi_entry
from weizhi.core.middleware import COMPRESS_MIN_BYTES, gzipped

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.fixture
def story(home):
    return factories.article(title="汛期值班安排", body="值班人员名单与联系方式。" * 40)


def test_an_article_page_is_gzipped_when_the_client_accepts_it(client, story):
    response = client.get(story.url, **GZIP)
    assert response.status_code == 200
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert int(response["Content-Length"]) == len(response.content)
    assert "汛期值班安排" in gzip.decompress(response.content).decode()


def test_the_cached_article_page_is_gzipped_too_and_counts_the_read(client, story):
    client.get(story.url)  # stores the page
    response = client.get(story.url, **GZIP)
    assert response["X-Page-Cache"] == "hit"
    assert response["Content-Encoding"] == "gzip"
    assert "值班人员名单" in gzip.decompress(response.content).decode()


def test_a_client_without_gzip_gets_the_plain_page_from_the_cache(client, story):
    client.get(story.url, **GZIP)  # stored by a client that accepted gzip
    response = client.get(story.url)
    assert response["X-Page-Cache"] == "hit"
    assert not response.has_header("Content-Encoding")
    assert "汛期值班安排" in response.content.decode()


def test_the_wsgi_layer_replays_the_gzipped_page(story):
    status, _, plain = wsgi_entry.call("GET", story.url)  # a miss, stored
    assert status.startswith("200")
    status, headers, body = wsgi_entry.call("GET", story.url, **GZIP)
    assert headers["X-Page-Cache"] == "hit"
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Content-Length"] == str(len(body))
    assert "Accept-Encoding" in headers["Vary"]
    assert gzip.decompress(body) == plain
    status, headers, body = wsgi_entry.call("GET", story.url)
    assert "Content-Encoding" not in headers and body == plain


@override_settings(PAGE_CACHE_SECONDS=0)
def test_pages_are_gzipped_with_the_page_cache_off(client, story):
    response = client.get(story.url, **GZIP)
    assert response["Content-Encoding"] == "gzip"


def test_search_results_are_gzipped(client, story):
    response = client.get("/search/", {"q": "值班"}, **GZIP)
    assert response["Content-Encoding"] == "gzip"


def test_a_page_with_a_csrf_token_is_not_gzipped(admin_client, home):
    # The admin's pages carry the CSRF token and reflect what was typed (BREACH).
    response = admin_client.get("/admin/pages/search/", {"q": "值班" * 30}, **GZIP)
    assert response.status_code == 200
    assert settings.CSRF_COOKIE_NAME in response.cookies  # the page used the token
    assert "值班" * 30 in response.content.decode()
    assert not response.has_header("Content-Encoding")


def test_a_tiny_or_incompressible_body_is_left_as_it_is():
    assert gzipped(b"x" * (COMPRESS_MIN_BYTES - 1)) is None
    assert gzipped(bytes(range(256))) is None
    assert gzip.decompress(gzipped("党建".encode() * 200)) == "党建".encode() * 200
