"""Shared by the notes tests: photos made with Pillow, as a phone would send them."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825


def jpeg(name="note.jpg", size=(1200, 900), orientation=None, gps=False, color=(250, 250, 240)):
    image = Image.new("RGB", size, color)
    # A dark bar across the top: after turning, it tells which way is up.
    image.paste((20, 20, 20), (0, 0, size[0], size[1] // 10))
    exif = Image.Exif()
    exif[0x010F] = "TestPhone"  # Make
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (31.0, 14.0, 2.5), 3: "E", 4: (121.0, 28.0, 11.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), quality=80)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def png(name="note.png", size=(300, 200), mode="RGBA"):
    out = io.BytesIO()
    Image.new(mode, size, (0, 80, 160, 128) if mode == "RGBA" else (0, 80, 160)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def huge_png(name="huge.png", width=20_000, height=10_000):
    """A PNG whose header claims 200 megapixels, a few hundred bytes long: the check must
    refuse it from the header, before decoding anything."""
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    ihdr = data[12:29]  # chunk type + 13 bytes of IHDR data
    ihdr[4:12] = struct.pack(">II", width, height)
    data[12:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr)) & 0xFFFFFFFF)
    return SimpleUploadedFile(name, bytes(data), content_type="image/png")


def heic(name="IMG_0001.HEIC"):
    """The start of an iPhone photo: an ISO-BMFF ftyp box with the heic brand."""
    body = struct.pack(">I", 24) + b"ftypheic" + b"\0\0\0\0" + b"mif1heic" + b"\0" * 64
    return SimpleUploadedFile(name, body, content_type="image/heic")
