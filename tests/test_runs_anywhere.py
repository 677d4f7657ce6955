"""The demo works on any host and port: SITE_URL follows HOST/PORT, our own addresses are
written as paths, the demo's clips exist and are served with range requests, the icons answer,
and `serve`'s banner names the addresses and the first password."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import override_settings

from tests import factories, wsgi_entry
from weizhi.content.demo_text import STORIES
from weizhi.content.models import VideoPage
from weizhi.core.banner import banner
from weizhi.core.siteurl import as_local

BASE_DIR = Path(settings.BASE_DIR)
DEMO_VIDEOS = BASE_DIR / "weizhi" / "static" / "weizhi" / "demo"


def settings_seen_with(tmp_path: Path, **env: str) -> dict:
    """SITE_URL and ALLOWED_HOSTS as a fresh process computes them from this environment."""
    clean = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "HOST", "PORT")}
    clean.pop("DATABASE_URL", None)
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SITE_URL, s.ALLOWED_HOSTS]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "weizhi.settings",
            "WEIZHI_VAR_DIR": str(tmp_path),
            **env,
        },
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    site_url, hosts = json.loads(out.stdout)
    return {"SITE_URL": site_url, "ALLOWED_HOSTS": hosts}


def test_site_url_follows_host_and_port_in_embedded_mode(tmp_path):
    assert settings_seen_with(tmp_path, PORT="9000")["SITE_URL"] == "http://127.0.0.1:9000"
    seen = settings_seen_with(tmp_path, HOST="192.168.3.7", PORT="8123")
    assert seen["SITE_URL"] == "http://192.168.3.7:8123"
    assert "192.168.3.7" in seen["ALLOWED_HOSTS"]
    listening_everywhere = settings_seen_with(tmp_path, HOST="0.0.0.0", PORT="8080")  # noqa: S104
    assert listening_everywhere["SITE_URL"] == "http://127.0.0.1:8080"


def test_an_explicit_site_url_wins_over_host_and_port(tmp_path):
    seen = settings_seen_with(tmp_path, PORT="9000", SITE_URL="https://dw.example.cn/")
    assert seen["SITE_URL"] == "https://dw.example.cn"


@override_settings(SITE_URL="http://127.0.0.1:9000")
def test_our_own_addresses_become_paths_and_others_stay():
    assert as_local("http://127.0.0.1:9000/static/a.mp4") == "/static/a.mp4"
    # Demo content written while the site ran on another port still plays.
    assert as_local("http://127.0.0.1:8000/static/a.mp4?x=1") == "/static/a.mp4?x=1"
    assert as_local("http://localhost:8000/media/b.mp4") == "/media/b.mp4"
    assert as_local("https://intranet.example/v/1.mp4") == "https://intranet.example/v/1.mp4"
    assert as_local("/already/a/path") == "/already/a/path"


@override_settings(SITE_URL="http://127.0.0.1:9000")
def test_a_video_page_plays_a_demo_clip_from_its_own_host(client, home):
    page = factories.column("shipin").add_child(
        instance=VideoPage(
            title="微党课",
            video_url="http://127.0.0.1:8000/static/weizhi/demo/dangke-bazhang-yiwu.mp4",
            duration_seconds=6,
        )
    )
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert 'src="/static/weizhi/demo/dangke-bazhang-yiwu.mp4"' in html
    assert ":8000" not in html
    assert "这段视频暂时无法播放" in html  # the note the player shows when the file fails


def test_every_demo_video_has_its_clip_and_they_stay_small():
    videos = [story for story in STORIES if story.kind == "video"]
    assert videos
    for story in videos:
        clip = DEMO_VIDEOS / f"{story.slug}.mp4"
        assert clip.exists(), clip
        assert clip.read_bytes()[4:8] == b"ftyp"  # an MP4 container
    total = sum(path.stat().st_size for path in DEMO_VIDEOS.glob("*"))
    assert total < 2 * 1024 * 1024


@pytest.mark.django_db
def test_a_demo_clip_is_served_with_range_requests(tmp_path):
    with override_settings(STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
        # A fresh handler: WhiteNoise indexes STATIC_ROOT when its middleware is built.
        handler = WSGIHandler()
        environ = {"HTTP_RANGE": "bytes=0-99"}
        status, headers, body = call_through(
            handler, "/static/weizhi/demo/dangke-bazhang-yiwu.mp4", environ
        )
    size = (DEMO_VIDEOS / "dangke-bazhang-yiwu.mp4").stat().st_size
    assert status.startswith("206")
    assert headers["Content-Range"] == f"bytes 0-99/{size}"
    assert headers["Content-Type"] == "video/mp4"
    assert len(body) == 100


def call_through(handler, path: str, environ: dict) -> tuple[str, dict, bytes]:
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured["status"], captured["headers"] = status, dict(headers)

    base = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(handler({**base, **environ}, start_response))
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return captured["status"], captured["headers"], body


def test_the_icons_answer_at_the_root_and_every_reader_page_links_them(client, home):
    for name in ("favicon.ico", "apple-touch-icon.png"):
        response = client.get(f"/{name}")
        assert response.status_code == 302
        assert response["Location"] == f"/static/weizhi/{name}"
        assert (BASE_DIR / "weizhi" / "static" / "weizhi" / name).exists()
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/weizhi/favicon.svg"' in html
    assert 'rel="apple-touch-icon"' in html


@pytest.mark.django_db
def test_the_banner_shows_the_first_password_until_it_is_changed(tmp_path, capsys):
    with override_settings(VAR_DIR=tmp_path):
        call_command("ensure_admin")
        password = (tmp_path / "first_admin_password").read_text().split("\n")[1]
        assert oct((tmp_path / "first_admin_password").stat().st_mode & 0o777) == "0o600"
        shown = banner("0.0.0.0", 9000)  # noqa: S104
        assert "http://127.0.0.1:9000/" in shown
        assert "http://127.0.0.1:9000/admin/" in shown
        assert f"管理员：admin    初始密码：{password}" in shown

        admin = get_user_model().objects.get(username="admin")
        admin.set_password("另一个很长的密码-2026")
        admin.save()
        shown = banner("127.0.0.1", 9000)
        assert password not in shown
        assert "changepassword admin" in shown
        assert not (tmp_path / "first_admin_password").exists()


def test_the_cached_home_page_has_no_address_of_another_port(home):
    status, _headers, body = wsgi_entry.call("GET", "/", HTTP_HOST="127.0.0.1:9000")
    assert status.startswith("200")
    assert b":8000" not in body
