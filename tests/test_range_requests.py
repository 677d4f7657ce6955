"""An uploaded video answers a Range request with 206 and just those bytes, through Wagtail's
document address (the one a 微视频 page plays) and the media address in embedded mode."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from tests import factories
from weizhi.content.models import VideoPage
from weizhi.core.middleware import byte_range

CLIP = Path(__file__).resolve().parents[1] / "weizhi/static/weizhi/demo/dangke-bazhang-yiwu.mp4"


@pytest.fixture
def video(home):
    document = Document(title="党课视频")
    document.file.save("dangke.mp4", ContentFile(CLIP.read_bytes()), save=True)
    return document


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_video_page_plays_the_uploaded_file_from_its_document_address(client, video):
    page = factories.column("shipin").add_child(instance=VideoPage(title="党课", video=video))
    page.save_revision().publish()
    assert f'src="{video.url}"' in client.get(page.url).content.decode()


def test_a_range_of_an_uploaded_video_gets_206_with_those_bytes(client, video):
    response = client.get(video.url, HTTP_RANGE="bytes=100-199")
    size = len(CLIP.read_bytes())
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{size}"
    assert response["Content-Length"] == "100"
    assert response["Accept-Ranges"] == "bytes"
    assert body_of(response) == CLIP.read_bytes()[100:200]


def test_an_open_ended_range_runs_to_the_end_of_the_file(client, video):
    response = client.get(video.url, HTTP_RANGE="bytes=0-")
    assert response.status_code == 206
    assert body_of(response) == CLIP.read_bytes()


@pytest.mark.skipif(not settings.SERVE_MEDIA, reason="nginx serves media when scaled")
def test_the_media_address_answers_ranges_too(client, video):
    response = client.get(video.file.url, HTTP_RANGE="bytes=-50")
    assert response.status_code == 206
    assert body_of(response) == CLIP.read_bytes()[-50:]
    assert not response.has_header("Content-Encoding")


def test_a_request_without_range_gets_the_whole_file_and_learns_ranges_work(client, video):
    response = client.get(video.url, HTTP_ACCEPT_ENCODING="gzip")
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert not response.has_header("Content-Encoding")  # a video is not gzipped
    assert body_of(response) == CLIP.read_bytes()


def test_a_range_past_the_end_gets_416(client, video):
    size = len(CLIP.read_bytes())
    response = client.get(video.url, HTTP_RANGE=f"bytes={size}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_a_range_of_a_changed_file_sends_the_whole_file(client, video):
    response = client.get(
        video.url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE="Wed, 21 Oct 2015 07:28:00 GMT"
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("header", "span"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=5-", (5, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=100-", False),
        ("bytes=9-5", None),  # invalid: ignored, the whole file
        ("bytes=0-" + "9" * 5000, None),  # a number past int()'s digit limit: no 500
        ("bytes=" + "1" * 19 + "-", None),
        ("bytes=-0", False),
        ("bytes=0-1,5-6", None),
        ("items=0-9", None),
        ("bytes=-", None),
    ],
)
def test_byte_ranges_are_read_as_the_rfc_says(header, span):
    assert byte_range(header, 100) == span
