"""Security headers: the Content-Security-Policy on reader and member pages (cached or not),
HSTS once SECURE is on, and /healthz telling the public only up or down."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests import factories, wsgi_entry

CSP = "Content-Security-Policy"
ROOT = Path(__file__).resolve().parent.parent


def policy(header: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_a_story_page_carries_a_policy_without_inline_scripts(client, home):
    page = factories.article(title="有政策的稿件")
    response = client.get(page.url)
    assert response.status_code == 200
    rules = policy(response[CSP])
    assert rules["script-src"] == "'self'"
    assert rules["style-src"] == "'self'"
    assert "unsafe-inline" not in response[CSP]
    assert rules["object-src"] == "'none'"


def test_a_cached_story_replays_the_policy_from_both_cache_doors(client, home):
    page = factories.article(title="缓存里的稿件", slug="cached-story")
    fresh = client.get(page.url)
    from_middleware = client.get(page.url)
    assert from_middleware["X-Page-Cache"] == "hit"
    status, headers, _body = wsgi_entry.call("GET", page.url, HTTP_HOST="testserver")
    assert status.startswith("200")
    assert headers.get("X-Page-Cache") == "hit"
    assert from_middleware[CSP] == fresh[CSP] == headers[CSP]


def test_member_pages_and_error_pages_carry_the_policy(client, home):
    assert CSP in client.get("/me/login/")
    assert CSP in client.get("/no-such-page/")


def test_the_admin_has_no_policy_because_wagtail_runs_inline_scripts(client, db):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert CSP not in response


INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=|javascript:", re.I)


def admin_template(path: Path, text: str) -> bool:
    return (
        "admin" in path.parts or "wagtailadmin" in path.parts or '{% extends "wagtailadmin' in text
    )


def test_no_template_outside_the_admin_has_inline_script_style_or_handlers():
    found = []
    for path in sorted(ROOT.glob("weizhi/**/templates/**/*.html")):
        text = path.read_text()
        if not admin_template(path.relative_to(ROOT), text) and INLINE.search(text):
            found.append(str(path.relative_to(ROOT)))
    assert found == []


def test_healthz_tells_the_public_only_up_or_down(db):
    response = Client(REMOTE_ADDR="203.0.113.9").get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"ok": True}


def test_healthz_through_a_proxy_is_public_even_from_loopback(db):
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert json.loads(client.get("/healthz", HTTP_X_FORWARDED_FOR="127.0.0.1").content) == {
        "ok": True
    }
    assert json.loads(client.get("/healthz", HTTP_X_FORWARDED_PROTO="https").content) == {
        "ok": True
    }


def test_healthz_shows_details_to_this_machine_and_to_signed_in_staff(db):
    local = json.loads(Client(REMOTE_ADDR="127.0.0.1").get("/healthz").content)
    assert local["database"]["ok"] is True
    staff = User.objects.create_user("ops", password="x", is_staff=True)
    client = Client(REMOTE_ADDR="203.0.113.9")
    client.force_login(staff)
    assert "database" in json.loads(client.get("/healthz").content)
    member = User.objects.create_user("reader", password="x")
    client.force_login(member)
    assert json.loads(client.get("/healthz").content) == {"ok": True}


def test_healthz_answers_503_without_details_to_the_public(db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = Client(REMOTE_ADDR="203.0.113.9").get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content) == {"ok": False}


def _hsts(env: dict[str, str]) -> tuple[int, bool]:
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS)"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("HSTS_", "SECURE"))}
    env = {
        **keep,
        "SECRET_KEY": "settings-test",
        "DJANGO_SETTINGS_MODULE": "weizhi.settings",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, subdomains = done.stdout.split()
    return int(seconds), subdomains == "True"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, (0, False)),
        ({"SECURE": "1"}, (31536000, False)),
        ({"SECURE": "1", "HSTS_SECONDS": "0"}, (0, False)),
        ({"SECURE": "1", "HSTS_SECONDS": "600", "HSTS_INCLUDE_SUBDOMAINS": "1"}, (600, True)),
    ],
)
def test_hsts_is_on_for_a_year_once_secure_and_configurable(env, expected):
    assert _hsts(env) == expected


def test_https_answers_carry_hsts(client, home, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
