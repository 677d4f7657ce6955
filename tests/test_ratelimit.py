"""Rate limits: whose address a request comes from behind nginx, and counters that every
web process shares."""

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory

from tests import factories
from weizhi.analytics import readers
from weizhi.core import ratelimit
from weizhi.core.clientaddress import client_address
from weizhi.core.models import RateCounter
from weizhi.env import envnetworks

ROOT = Path(__file__).resolve().parent.parent
NGINX = "127.0.0.1"


@pytest.fixture
def behind_nginx(settings):
    settings.TRUSTED_PROXIES = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("::1"))


def like(page, **extra):
    """A like from a new browser (a reader cookie we signed), so only the address limit
    stands between it and a 200."""
    client = Client()
    client.cookies[readers.READER_COOKIE] = readers.signed(readers.new_reader())
    return client.post(f"/api/pages/{page.pk}/like", HTTP_SEC_FETCH_SITE="same-origin", **extra)


def environ(peer: str, forwarded: str = "", real: str = "") -> dict:
    env = {"REMOTE_ADDR": peer}
    if forwarded:
        env["HTTP_X_FORWARDED_FOR"] = forwarded
    if real:
        env["HTTP_X_REAL_IP"] = real
    return env


def test_two_clients_behind_a_trusted_proxy_are_counted_separately(home, behind_nginx):
    page = factories.article()
    first = [like(page, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="10.1.1.1") for _ in range(31)]
    assert [r.status_code for r in first[:30]] == [200] * 30 and first[30].status_code == 429
    other = like(page, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="10.1.1.2")
    assert other.status_code == 200


def test_an_untrusted_peers_forwarded_for_is_ignored(home, behind_nginx):
    page = factories.article()
    codes = [
        like(page, REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"10.2.0.{n}").status_code
        for n in range(31)
    ]
    assert codes[:30] == [200] * 30 and codes[30] == 429


def test_a_client_cannot_escape_the_limit_by_writing_its_own_forwarded_for(home, behind_nginx):
    page = factories.article()
    # nginx appends the address it saw; what the client sent stands to the left of it.
    codes = [
        like(page, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 10.3.3.3").status_code
        for n in range(31)
    ]
    assert codes[30] == 429


def test_the_client_is_the_right_most_address_that_is_not_a_trusted_proxy(behind_nginx):
    assert client_address(environ(NGINX, "6.6.6.6, 10.0.0.7")) == "10.0.0.7"
    assert client_address(environ(NGINX, "10.0.0.7, 127.0.0.1")) == "10.0.0.7"
    assert client_address(environ("::1", "[2001:db8::5]:4711")) == "2001:db8::5"
    assert client_address(environ(NGINX, "10.0.0.8:5000")) == "10.0.0.8"
    assert client_address(environ(NGINX, real="10.0.0.9")) == "10.0.0.9"
    assert client_address(environ(NGINX)) == NGINX
    # A hop that is no address was written by the client: the nearest proxy is all we know.
    assert client_address(environ(NGINX, "junk")) == NGINX
    assert client_address(environ(NGINX, "10.0.0.7, junk, 127.0.0.1")) == NGINX
    request = RequestFactory().get("/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="10.0.0.4")
    assert client_address(request) == "10.0.0.4"


def test_without_trusted_proxies_no_header_is_believed(settings):
    settings.TRUSTED_PROXIES = ()
    assert client_address(environ(NGINX, "10.0.0.7", "10.0.0.8")) == NGINX


def test_trusted_proxies_must_be_addresses_or_ranges(monkeypatch):
    monkeypatch.setenv("X_PROXIES", "127.0.0.1, 10.0.0.0/8,::1")
    assert [str(n) for n in envnetworks("X_PROXIES")] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    monkeypatch.setenv("X_PROXIES", "127.0.0.1,nginx")
    with pytest.raises(ImproperlyConfigured, match=r"X_PROXIES.*'nginx'"):
        envnetworks("X_PROXIES")


@pytest.mark.django_db
def test_expired_windows_are_pruned_and_current_ones_kept():
    ratelimit.add({"old": 1000, "current": 5000})
    assert ratelimit.prune(now=2000) == 1
    assert list(RateCounter.objects.values_list("name", "hits")) == [("current", 1)]


@pytest.mark.django_db
def test_a_refused_attempt_is_given_back_so_waiting_as_told_is_enough():
    rule = ratelimit.Rule("t", [ratelimit.Window(2, 60)])
    assert not ratelimit.attempt([(rule, "a")], now=0).refused
    assert not ratelimit.attempt([(rule, "a")], now=1).refused
    for _ in range(5):
        refused = ratelimit.attempt([(rule, "a")], now=20)
        assert refused.wait == 40
    assert ratelimit.add({"t:a:60:0": 60}, 0) == {"t:a:60:0": 2}
    assert not ratelimit.attempt([(rule, "a")], now=60).refused


WORKER = """
from weizhi.core.ratelimit import hit
print(sum(hit("shared", "10.0.0.1", 150, 10**9) for _ in range(100)))
"""
REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "")


@pytest.mark.parametrize(
    "mode",
    [
        "embedded",
        pytest.param(
            "redis", marks=pytest.mark.skipif(not REDIS_TEST_URL, reason="REDIS_TEST_URL unset")
        ),
    ],
)
def test_counters_are_shared_by_every_web_process(tmp_path, mode):
    """Two processes (as granian's workers are) count at once: exactly the limit passes."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(WEIZHI_VAR_DIR=str(tmp_path))
    if mode == "redis":
        import redis

        redis.Redis.from_url(REDIS_TEST_URL).flushdb()
        env["REDIS_URL"] = REDIS_TEST_URL
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "core", "-v0"], env=env, cwd=ROOT, check=True)
    workers = [
        subprocess.Popen(
            [*manage, "shell", "-v0", "-c", WORKER],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    allowed = [int(worker.communicate(timeout=120)[0].split()[-1]) for worker in workers]
    assert sum(allowed) == 150
    if mode == "redis":
        redis.Redis.from_url(REDIS_TEST_URL).flushdb()
