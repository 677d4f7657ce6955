"""On a phone inside WeChat, on a port other than 8000: a demo clip plays, a missing one says
so, and no address on the page points at another host or port."""

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import override_settings
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import screenshot
from weizhi.content.models import VideoPage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ADDRESSES = """() => [...document.querySelectorAll('[href],[src],[poster],[action]')]
    .flatMap(e => ['href', 'src', 'poster', 'action'].map(a => e.getAttribute(a)))
    .filter(Boolean).map(u => new URL(u, location.href).href)"""


def video(title: str, url: str) -> VideoPage:
    page = factories.column("shipin").add_child(
        instance=VideoPage(title=title, video_url=url, duration_seconds=6, series="lesson")
    )
    page.save_revision().publish()
    return page


def test_a_demo_clip_plays_and_every_address_stays_on_this_host_and_port(live_server, phone):
    port = urlsplit(live_server.url).port
    assert port != 8000
    factories.site_home()
    # Written as `load_demo` writes it while the demo ran on :8000.
    clip = video(
        "微党课｜党章里的八项义务",
        settings.SITE_URL + "/static/weizhi/demo/dangke-bazhang-yiwu.mp4",
    )
    with override_settings(SITE_URL=live_server.url):
        phone.goto(live_server.url + clip.url)
        phone.wait_for_selector(".video video")
        played = phone.evaluate(
            """() => new Promise((done) => {
                const v = document.querySelector('.video video');
                v.muted = true;
                v.addEventListener('timeupdate', () => {
                    if (v.currentTime > 0.5) done(v.currentTime);
                });
                v.addEventListener('error', () => done(-1));
                v.play().catch(() => done(-2));
            })"""
        )
        assert played > 0.5
        expect(phone.locator(".video-error")).to_be_hidden()
        phone.evaluate("() => document.querySelector('.video video').pause()")
        screenshot(phone, "video-plays")
        for address in phone.evaluate(ADDRESSES):
            parts = urlsplit(address)
            if parts.scheme in ("http", "https"):
                assert parts.port == port, address


def test_a_video_that_cannot_play_says_so(live_server, phone):
    factories.site_home()
    broken = video("缺少文件的视频", live_server.url + "/static/weizhi/demo/no-such-clip.mp4")
    phone.goto(live_server.url + broken.url)
    note = phone.locator(".video-error")
    note.wait_for(state="visible")
    assert "这段视频暂时无法播放" in note.inner_text()
    screenshot(phone, "video-cannot-play")
