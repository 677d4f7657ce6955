"""A photo of a note, taken in by its content, never by its name: opened from the upload's
temporary file on disk (the note view keeps every upload there), its pixel count read from the
header before anything is decoded, verified, turned upright (EXIF orientation), shrunk to
``MAX_EDGE`` while it is decoded (JPEG draft mode) and written again as a JPEG without any of
its metadata — so a phone's GPS position, camera and time never reach the site.

HEIC (iPhone's default) is read where ``pillow_heif`` is installed; otherwise the member is
told how to send a JPEG instead.
"""

from __future__ import annotations

import io
import logging
import threading
import uuid
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps

log = logging.getLogger(__name__)

MAX_EDGE = 2000
JPEG_QUALITY = 85
FORMATS = {"JPEG", "MPO", "PNG", "GIF", "WEBP", "HEIF"}
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"hevm", b"mif1", b"msf1", b"avif"}
NO_HEIF = (
    "“{name}”是 HEIC 格式，服务器暂时无法识别。请在手机“设置 → 相机 → 格式”中选“兼容性最佳”，"
    "或截图后再上传。"
)


# Photos decoded at once in one process: with about 45 MB at the peak of each (a 12-megapixel
# JPEG), twenty members sending nine photos each wait their turn instead of adding up.
DECODING = threading.BoundedSemaphore(2)


class ImageRefused(ValueError):
    """The photo cannot be taken; the message is for the member."""


@dataclass(frozen=True)
class Processed:
    content: ContentFile
    width: int
    height: int


_heif: bool | None = None


def heif_available() -> bool:
    """Whether a HEIC decoder is importable (registered with Pillow on first ask)."""
    global _heif
    if _heif is None:
        try:
            import pillow_heif  # type: ignore[import-not-found]

            pillow_heif.register_heif_opener()
            _heif = True
        except ImportError:
            _heif = False
    return _heif


def _source(upload):
    """A path when the upload is on disk (Pillow then reads it by blocks), else the file."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        return path()
    upload.seek(0)
    return upload


def _is_heif(upload) -> bool:
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def check(upload) -> None:
    """Refuse what is not a photo we can take, reading only the header and verifying."""
    name = upload.name or "图片"
    limit = settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
    if upload.size > limit:
        raise ImageRefused(f"“{name}”超过 {limit // 1024 // 1024} MB，请压缩后再传。")
    if upload.size == 0:
        raise ImageRefused(f"“{name}”是空文件，请重新选择。")
    if _is_heif(upload) and not heif_available():
        raise ImageRefused(NO_HEIF.format(name=name))
    megapixels = settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS // 1_000_000
    too_many = f"“{name}”像素太多（上限 {megapixels} 百万像素），请缩小后再传。"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(_source(upload)) as image:
                width, height = image.size
                kind = image.format
                if width * height > settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS:
                    raise ImageRefused(too_many)
                image.verify()
    except ImageRefused:
        raise
    except Image.DecompressionBombError as error:
        raise ImageRefused(too_many) from error
    except Exception as error:
        log.info("note image refused: %s (%s)", name, error)
        raise ImageRefused(f"“{name}”无法识别为图片，请重新选择。") from error
    if kind not in FORMATS:
        raise ImageRefused(f"“{name}”不是支持的图片格式（jpg、png、gif、webp、heic）。")


def process(upload) -> Processed:
    """The photo upright, at most MAX_EDGE a side, as a JPEG with no metadata."""
    check(upload)
    name = upload.name or "图片"
    try:
        with DECODING, Image.open(_source(upload)) as image:
            if image.format in ("JPEG", "MPO"):
                # Decodes at 1/2, 1/4 or 1/8 scale straight away when that still covers the
                # final size: a 12- or 48-megapixel photo never exists in memory at full size.
                image.draft("RGB", _target(image.size))
            upright = ImageOps.exif_transpose(image)
            picture = _flatten(upright)
            picture.thumbnail((MAX_EDGE, MAX_EDGE), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            # No exif=, icc_profile= or comment: the new file carries pixels only.
            picture.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    except Exception as error:
        log.info("note image failed to decode: %s (%s)", name, error)
        raise ImageRefused(f"“{name}”无法读取，可能已损坏，请重新选择。") from error
    return Processed(ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.jpg"), *picture.size)


def _target(size: tuple[int, int]) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, MAX_EDGE / max(width, height))
    return max(1, int(width * scale)), max(1, int(height * scale))


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: transparent PNGs and GIFs keep a readable page."""
    if image.mode in ("RGBA", "LA", "P", "PA"):
        rgba = image.convert("RGBA")
        page = Image.new("RGB", rgba.size, (255, 255, 255))
        page.paste(rgba, mask=rgba.getchannel("A"))
        return page
    return image.convert("RGB")
