"""Uploads through the real admin: images over the pixel limit, renditions over the size cap and
documents over the size limit are refused or capped, with a message in Chinese, never a 500."""

import io
import struct
import zlib

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from wagtail.documents.models import Document
from wagtail.images.models import Image

from tests import factories
from tests.base import superuser

pytestmark = pytest.mark.django_db


def blank_png(width: int, height: int) -> bytes:
    """A valid one-bit PNG of any size, built row by row: 200 megapixels compress to about
    25 KB, and no more than one row is ever held in memory."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    compressor = zlib.compressobj(9)
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte, then the row's bits
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.fixture
def admin_client(client):
    client.force_login(superuser())
    return client


def post_image(client, data: bytes, *, multiple: bool = False):
    upload = SimpleUploadedFile("大图.png", data, content_type="image/png")
    if multiple:
        return client.post("/admin/images/multiple/add/", {"files[]": upload})
    return client.post("/admin/images/add/", {"title": "大图", "file": upload})


def test_a_200_megapixel_image_is_refused_with_a_message_not_a_500(admin_client):
    data = blank_png(20_000, 10_000)
    assert len(data) < 100_000
    response = post_image(admin_client, data)
    assert response.status_code == 200
    assert "图片太大，超过上限 5000 万像素" in response.content.decode()
    response = post_image(admin_client, data, multiple=True)
    assert response.status_code == 200
    assert not response.json()["success"]
    assert "图片太大" in response.json()["error_message"]
    assert not Image.objects.exists()


def test_an_image_over_the_pixel_limit_is_refused_with_its_size(admin_client):
    response = post_image(admin_client, blank_png(8_000, 7_000))  # 56 megapixels
    assert "图片太大（8000×7000 像素），超过上限 5000 万像素" in response.content.decode()
    assert not Image.objects.exists()


def test_an_image_within_the_limits_is_added(admin_client):
    response = post_image(admin_client, blank_png(2_000, 1_000), multiple=True)
    assert response.json()["success"]
    assert Image.objects.get().width == 2_000


def test_a_rendition_is_capped_whatever_size_it_asks_for(admin_client, settings):
    settings.IMAGE_MAX_RENDITION_PIXELS = 10_000
    image = factories.image(size=(400, 300))
    response = admin_client.get(f"/admin/images/{image.pk}/preview/width-400/")
    assert response.status_code == 200
    preview = PILImage.open(io.BytesIO(b"".join(response.streaming_content)))
    assert preview.size == (115, 86)  # 4:3 kept, at most 10,000 pixels
    for spec in ("original", "fill-400x300", "max-4000x4000", "scale-1000"):
        rendition = image.get_rendition(spec)
        assert rendition.width * rendition.height <= 10_000, spec


def test_a_document_over_the_size_limit_is_refused_with_a_message(admin_client, settings):
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 1024 * 1024
    too_big = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
    upload = SimpleUploadedFile("通知.pdf", too_big, content_type="application/pdf")
    response = admin_client.post("/admin/documents/add/", {"title": "通知", "file": upload})
    assert response.status_code == 200
    assert "文件过大" in response.content.decode()
    upload = SimpleUploadedFile("通知.pdf", too_big, content_type="application/pdf")
    response = admin_client.post("/admin/documents/multiple/add/", {"files[]": upload})
    assert "文件过大" in response.json()["error_message"]
    assert not Document.objects.exists()


def test_the_document_limit_is_50_mb_unless_configured(settings):
    from wagtail.documents.fields import WagtailDocumentField

    assert settings.WAGTAILDOCS_MAX_UPLOAD_SIZE == 50 * 1024 * 1024
    assert "50.0" in str(WagtailDocumentField().help_text)


def test_a_file_over_every_limit_is_written_to_disk_only_up_to_the_limit(settings):
    import os

    from django.test import RequestFactory

    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 64 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024
    upload = SimpleUploadedFile("大文件.pdf", b"0" * (1024 * 1024))
    request = RequestFactory().post("/admin/documents/add/", {"file": upload})
    received = request.FILES["file"]
    assert received.size == 1024 * 1024  # what a form's size check sees: the real size
    assert os.path.getsize(received.temporary_file_path()) == 64 * 1024 + 1
    received.close()


def test_a_request_with_many_files_is_refused(client):
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    files = {f"f{n}": SimpleUploadedFile(f"{n}.txt", b"x") for n in range(limit + 1)}
    response = client.post("/me/login/", files)
    assert response.status_code == 400


def test_an_image_is_still_edited_without_a_new_file(admin_client):
    image = factories.image("旧标题")
    response = admin_client.get(f"/admin/images/{image.pk}/")
    assert 'accept="' in response.content.decode()  # the replaced file field keeps its widget
    response = admin_client.post(f"/admin/images/{image.pk}/", {"title": "新标题", "collection": 1})
    assert response.status_code == 302
    image.refresh_from_db()
    assert image.title == "新标题"
