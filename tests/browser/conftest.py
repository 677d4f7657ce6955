"""Headless Chromium (Debian's package) driven by Playwright, against a live test server."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WECHAT_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/120.0.0.0 Mobile Safari/537.36 MicroMessenger/8.0.50.2701(0x28003253) "
    "NetType/WIFI Language/zh_CN"
)
PLAIN_UA = WECHAT_UA.split(" MicroMessenger/")[0]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in this thread; Django refuses database access
# from such a thread unless told that it is safe, which it is here (one thread, no awaits).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser(django_db_setup, django_db_blocker):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    # Playwright's sync API runs its own event loop (in greenlets) in this thread, after
    # which Django's connection handler hands out fresh connection objects; those lack the
    # snapshot that serialized_rollback restores between transactional tests.
    with django_db_blocker.unblock():
        snapshots = {
            alias: getattr(connections[alias], "_test_serialized_contents", None)
            for alias in connections
        }
    with sync_playwright() as playwright:
        for alias, contents in snapshots.items():
            if contents is not None:
                connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"],
        )
        yield browser
        browser.close()


def _phone(browser, user_agent: str):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        user_agent=user_agent,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    """A phone inside WeChat's browser."""
    yield from _phone(browser, WECHAT_UA)


@pytest.fixture
def plain_phone(browser):
    """A phone in its own browser, outside WeChat."""
    yield from _phone(browser, PLAIN_UA)


@pytest.fixture
def desktop(browser, request):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
    _let_the_live_server_finish(request)


def _let_the_live_server_finish(request) -> None:
    """Closing a page that shows a Wagtail edit view sends a request that releases its editing
    session. Answered by the live server while the test's database is being flushed, it made
    the flush fail ("database table is locked"), and every later test with it (seen once in
    CI): wait for the server's request threads, up to 10 s each, before the flush."""
    if "live_server" not in request.fixturenames:
        return
    httpd = getattr(request.getfixturevalue("live_server").thread, "httpd", None)
    for thread in list(getattr(httpd, "_threads", None) or []):
        thread.join(timeout=10)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
