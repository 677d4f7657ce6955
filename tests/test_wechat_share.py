"""Sharing a story inside WeChat: the JS-SDK fetched from an npm registry at install time (here
a fake registry on 127.0.0.1), and the scripts a story page loads only inside WeChat."""

import base64
import hashlib
import io
import re
import socket
import subprocess
import sys
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests import factories
from weizhi.wechat.signin import jssdk_vendor
from weizhi.wechat.signin.jssdk_vendor import FetchError, fetch

ROOT = Path(__file__).resolve().parents[1]
WECHAT_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50"
PLAIN_UA = "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
TARBALL_PATH = f"/weixin-js-sdk/-/weixin-js-sdk-{jssdk_vendor.VERSION}.tgz"
SDK_JS = b"module.exports = { config: function () {}, ready: function () {} }; // fake jweixin\n"


def package_tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


GOOD_TARBALL = package_tarball(
    {
        "package/package.json": b'{"name": "weixin-js-sdk"}',
        "package/index.js": SDK_JS,
        "package/LICENSE": b"MIT License (fake)",
    }
)


class FakeRegistry:
    """An npm registry serving fixed files, recording what it was asked for."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.asked: list[str] = []
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                registry.asked.append(self.path)
                body = registry.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.end_headers()
                self.wfile.write(body or b"not found")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def registry():
    fake = FakeRegistry({TARBALL_PATH: GOOD_TARBALL})
    yield fake
    fake.close()


def run_fetch_command(dest: Path, registry_url: str) -> subprocess.CompletedProcess:
    """What `make deps` runs, with the registry overridden as on an intranet."""
    return subprocess.run(
        [sys.executable, "-m", "weizhi.wechat.signin.jssdk_vendor", "--dest", str(dest)],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "NPM_CONFIG_REGISTRY": registry_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


# Fetching the JS-SDK.


def test_the_sdk_is_downloaded_verified_and_installed_as_a_browser_script(registry, tmp_path):
    path = fetch(registry.url, tmp_path, integrity=integrity_of(GOOD_TARBALL))
    assert registry.asked == [TARBALL_PATH]
    assert path == tmp_path / "jweixin.js"
    script = path.read_bytes()
    assert script.startswith(b"/* weixin-js-sdk@" + jssdk_vendor.VERSION.encode())
    assert SDK_JS in script
    # The CommonJS module gets a `module` to assign to, and what it exports becomes window.wx.
    assert script.index(b"(function (module) {") < script.index(SDK_JS)
    assert b"window.wx = window.jWeixin = module.exports" in script
    assert (tmp_path / "LICENSE").read_bytes() == b"MIT License (fake)"
    assert jssdk_vendor.is_current(tmp_path, integrity=integrity_of(GOOD_TARBALL))
    assert not jssdk_vendor.is_current(tmp_path)  # made for another pin


def test_a_mirror_is_asked_under_its_own_path(registry, tmp_path):
    registry.files = {"/repository/npm" + TARBALL_PATH: GOOD_TARBALL}
    fetch(registry.url + "/repository/npm/", tmp_path, integrity=integrity_of(GOOD_TARBALL))
    assert registry.asked == ["/repository/npm" + TARBALL_PATH]


def test_a_tarball_that_does_not_match_the_pinned_integrity_is_refused(registry, tmp_path):
    with pytest.raises(FetchError, match="integrity mismatch"):
        fetch(registry.url, tmp_path)  # the real pin: our built tarball is not the package
    assert list(tmp_path.iterdir()) == []


def test_a_tarball_without_the_sdk_in_it_is_refused(registry, tmp_path):
    empty = package_tarball({"package/package.json": b"{}"})
    registry.files = {TARBALL_PATH: empty}
    with pytest.raises(FetchError, match="not the expected package tarball"):
        fetch(registry.url, tmp_path, integrity=integrity_of(empty))
    assert not (tmp_path / "jweixin.js").exists()


def test_make_deps_warns_and_goes_on_when_the_registry_serves_something_else(registry, tmp_path):
    finished = run_fetch_command(tmp_path, registry.url)
    assert finished.returncode == 0
    assert "warning: WeChat JS-SDK" in finished.stderr and "integrity mismatch" in finished.stderr
    assert registry.asked == [TARBALL_PATH]  # NPM_CONFIG_REGISTRY was followed
    assert not (tmp_path / "jweixin.js").exists()


def test_make_deps_warns_and_goes_on_when_the_registry_is_unreachable(tmp_path):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    finished = run_fetch_command(tmp_path, f"http://127.0.0.1:{port}")
    assert finished.returncode == 0
    assert "warning: WeChat JS-SDK" in finished.stderr and "cannot download" in finished.stderr
    assert not (tmp_path / "jweixin.js").exists()


def test_a_failed_registry_is_not_asked_again_for_an_hour_but_another_is_at_once(
    registry, tmp_path, monkeypatch
):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{unused.getsockname()[1]}"
    assert "cannot download" in run_fetch_command(tmp_path, dead).stderr
    again = run_fetch_command(tmp_path, dead)
    assert again.returncode == 0
    assert "failed from " + dead in again.stderr and "cannot download" not in again.stderr
    # A mirror set afterwards is asked at once.
    assert run_fetch_command(tmp_path, registry.url).returncode == 0
    assert registry.asked == [TARBALL_PATH]
    # An hour later the first registry is asked again.
    mark = tmp_path / jssdk_vendor.FAILED_MARK
    mark.write_text(f"{dead}\n{time.time() - jssdk_vendor.RETRY_AFTER - 1}\n")
    assert "cannot download" in run_fetch_command(tmp_path, dead).stderr


def test_the_sdk_is_not_fetched_when_npm_is_told_to_stay_offline(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", registry.url)
    monkeypatch.setenv("NPM_CONFIG_OFFLINE", "true")
    assert jssdk_vendor.main(["--dest", str(tmp_path)]) == 0
    assert registry.asked == []


def test_after_a_good_fetch_no_failure_is_remembered(registry, tmp_path, monkeypatch):
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", registry.url)
    monkeypatch.setattr(jssdk_vendor, "INTEGRITY", integrity_of(GOOD_TARBALL))
    (tmp_path / jssdk_vendor.FAILED_MARK).write_text("http://elsewhere\n0\n")
    assert jssdk_vendor.main(["--dest", str(tmp_path)]) == 0
    assert (tmp_path / "jweixin.js").exists()
    assert not (tmp_path / jssdk_vendor.FAILED_MARK).exists()


def test_an_installed_sdk_of_the_pinned_version_is_not_fetched_again(
    registry, tmp_path, monkeypatch
):
    installed = jssdk_vendor.header(jssdk_vendor.VERSION, jssdk_vendor.INTEGRITY) + b"..."
    (tmp_path / "jweixin.js").write_bytes(installed)
    monkeypatch.setenv("NPM_CONFIG_REGISTRY", registry.url)
    assert jssdk_vendor.main(["--dest", str(tmp_path)]) == 0
    assert registry.asked == []
    assert (tmp_path / "jweixin.js").read_bytes() == installed


def test_the_sdk_is_never_committed():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "/" + jssdk_vendor.VENDOR_DIR.relative_to(ROOT).as_posix() + "/" in ignored


# The story page.


def installed_sdk(settings, folder: Path, present: bool) -> None:
    """Static files found only in `folder`, which holds the JS-SDK or not."""
    if present:
        (folder / "wechat" / "vendor").mkdir(parents=True)
        (folder / "wechat" / "vendor" / "jweixin.js").write_bytes(b"/* sdk */")
    settings.STATICFILES_DIRS = [folder]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]


@pytest.fixture
def share_on(settings, tmp_path):
    settings.WECHAT_JSSDK = True
    installed_sdk(settings, tmp_path, present=True)


SDK_TAG = '<script src="/static/wechat/vendor/jweixin.js" defer></script>'
SHARE_TAG = '<script src="/static/wechat/share.js" data-config="/wechat/oauth/jssdk/config/" defer>'


def story(**fields):
    return factories.article(
        title="一线的坚守", summary="记基层党员的一天", cover=factories.image(), **fields
    )


def test_inside_wechat_a_story_loads_the_sdk_and_its_share_card(client, home, share_on):
    page = story()
    html = client.get(page.url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert SDK_TAG in html and SHARE_TAG in html
    assert html.index(SDK_TAG) < html.index(SHARE_TAG)  # share.js needs window.wx
    assert "res.wx.qq.com" not in html
    # What share.js puts on the card, read from the page's own meta tags.
    assert f'<link rel="canonical" href="http://127.0.0.1:8000{page.url}">' in html
    assert '<meta property="og:title" content="一线的坚守">' in html
    assert '<meta property="og:description" content="记基层党员的一天">' in html
    assert '<meta property="og:image" content="http://127.0.0.1:8000/media/images/' in html


def test_the_share_card_is_the_pages_meta_then_the_scripts_the_wechat_app_adds(
    client, home, share_on
):
    # The content app's template leaves a place the WeChat app fills (a hook): the HTML is
    # what it was when the template loaded a WeChat tag library itself.
    page = story()
    html = client.get(page.url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    card = html[html.index('<link rel="canonical"') : html.index(SHARE_TAG)]
    card = re.sub(r"/media/images/[^\"]+", "/media/images/cover", card)
    assert card == (
        f'<link rel="canonical" href="http://127.0.0.1:8000{page.url}">\n'
        '<meta name="description" content="记基层党员的一天">\n'  # the 摘要, when no SEO text
        '<meta property="og:type" content="article">\n'
        '<meta property="og:title" content="一线的坚守">\n'
        '<meta property="og:description" content="记基层党员的一天">\n'
        '<meta property="og:image" content="http://127.0.0.1:8000/media/images/cover">\n'
        f"{SDK_TAG}\n"
    )
    assert html[html.index(SHARE_TAG) :].startswith(f"{SHARE_TAG}</script>\n")


def test_a_plain_browser_loads_no_wechat_script(client, home, share_on):
    html = client.get(story().url, HTTP_USER_AGENT=PLAIN_UA).content.decode()
    assert "jweixin" not in html and "share.js" not in html
    assert '<meta property="og:title" content="一线的坚守">' in html


def test_without_the_sdk_installed_no_share_script_is_loaded(client, home, settings, tmp_path):
    settings.WECHAT_JSSDK = True
    installed_sdk(settings, tmp_path, present=False)
    html = client.get(story().url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert "jweixin" not in html and "share.js" not in html


def test_without_the_jssdk_config_no_share_script_is_loaded(client, home, settings, tmp_path):
    settings.WECHAT_JSSDK = False  # /wechat/oauth/jssdk/config/ would answer 404
    installed_sdk(settings, tmp_path, present=True)
    html = client.get(story().url, HTTP_USER_AGENT=WECHAT_UA).content.decode()
    assert "jweixin" not in html and "share.js" not in html


def test_the_page_cache_keeps_the_wechat_page_apart(client, home, share_on):
    page = story()
    inside = client.get(page.url, HTTP_USER_AGENT=WECHAT_UA)
    outside = client.get(page.url, HTTP_USER_AGENT=PLAIN_UA)
    assert (inside["X-Page-Cache"], outside["X-Page-Cache"]) == ("miss", "miss")
    assert "share.js" not in outside.content.decode()
    again = client.get(page.url, HTTP_USER_AGENT=WECHAT_UA)
    assert again["X-Page-Cache"] == "hit" and SHARE_TAG in again.content.decode()
