"""What a recording is, judged by its bytes and not by its name or the browser's word: the
format from its magic bytes, the duration from its headers where the format carries one
(WAV exactly; Ogg from the last page's granule; WebM from the last cluster's timecode), and
a transcode to one format when ffmpeg is installed. No Django.

Formats: webm, ogg, mp3, m4a, amr, wav. A format whose duration cannot be read here (mp3,
m4a, amr, or a WebM without clusters) uses the duration the recorder reported, if any, and is
still bounded by the size limit.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import uuid
from pathlib import Path

FORMATS = {
    "webm": "audio/webm",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "amr": "audio/amr",
    "wav": "audio/wav",
}
# The last cluster's start is all a WebM from MediaRecorder tells: the recorder's own count
# is taken when it is longer.
LOWER_BOUND = frozenset({"webm"})
TARGET = "mp3"  # what ffmpeg makes of every recording, where ffmpeg exists


class AudioError(ValueError):
    """Not a recording we accept; the message is for the member."""


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def stored_name(fmt: str) -> str:
    """A fresh file name with the extension of the sniffed format, never the uploader's own:
    the type a recording is served as follows what it is."""
    return f"{uuid.uuid4().hex}.{fmt}"


def _wav_seconds(data: bytes) -> float | None:
    pos, rate = 12, None
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if chunk == b"fmt " and size >= 16:
            rate = struct.unpack("<I", data[pos + 16 : pos + 20])[0]  # bytes per second
        if chunk == b"data":
            # A recorder that stops without rewriting the header leaves 0 or 0xFFFFFFFF.
            size = min(size, len(data) - pos - 8)
            return size / rate if rate else None
        pos += 8 + size + (size & 1)
    return None


def _ogg_seconds(data: bytes) -> float | None:
    last = data.rfind(b"OggS")
    if last < 0 or last + 14 > len(data):
        return None
    granule = struct.unpack("<q", data[last + 6 : last + 14])[0]
    if b"OpusHead" in data[:200]:
        return max(granule, 0) / 48000
    at = data.find(b"\x01vorbis", 0, 200)
    if at >= 0:
        rate = struct.unpack("<I", data[at + 12 : at + 16])[0]
        return max(granule, 0) / rate if rate else None
    return None


def _ebml_uint(data: bytes, pos: int) -> tuple[int, int]:
    """A variable-size integer at pos: (value, its length)."""
    first = data[pos]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    value = first & (0xFF >> length)
    for b in data[pos + 1 : pos + length]:
        value = (value << 8) | b
    return value, length


def _webm_seconds(data: bytes) -> float | None:
    # MediaRecorder writes no Duration; each Cluster starts with its Timecode (ms by default).
    last = data.rfind(b"\x1f\x43\xb6\x75")
    while last >= 0:
        pos = last + 4
        try:
            _size, n = _ebml_uint(data, pos)
            pos += n
            if data[pos] == 0xE7:
                size, n = _ebml_uint(data, pos + 1)
                start = pos + 1 + n
                return int.from_bytes(data[start : start + size], "big") / 1000
        except IndexError:
            pass
        last = data.rfind(b"\x1f\x43\xb6\x75", 0, last)
    return None


def seconds(path: Path, fmt: str) -> float | None:
    """The length the file's own header gives, or None (unknown format, or a header cut short:
    the size limit and the recorder's count then bound it)."""
    data = path.read_bytes()
    reader = {"wav": _wav_seconds, "ogg": _ogg_seconds, "webm": _webm_seconds}.get(fmt)
    try:
        return reader(data) if reader else None
    except (struct.error, IndexError, ValueError, ZeroDivisionError):
        return None


# ffmpeg is told the format we found in the bytes instead of guessing it (a file that looks
# like a playlist must not make it open other files or URLs).
DEMUXERS = {
    "webm": "matroska",
    "ogg": "ogg",
    "mp3": "mp3",
    "m4a": "mov",
    "amr": "amr",
    "wav": "wav",
}


def transcode(path: Path, fmt: str) -> tuple[Path, str]:
    """The recording as TARGET, or as it was when ffmpeg is missing or fails."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None or fmt == TARGET:
        return path, fmt
    out = path.with_suffix(f".{TARGET}")
    command = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-protocol_whitelist", "file"]
    if fmt in DEMUXERS:
        command += ["-f", DEMUXERS[fmt]]
    command += ["-i", str(path), "-ac", "1", str(out)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=120, check=False)  # noqa: S603
    except (subprocess.TimeoutExpired, OSError):
        done = None
    if done is None or done.returncode != 0 or not out.exists():
        out.unlink(missing_ok=True)
        return path, fmt
    return out, TARGET


def silent_wav(seconds: float, *, beep: bool = False, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV: silence, or a quiet 440 Hz tone (placeholder recordings, tests)."""
    count = int(seconds * rate)
    if beep:
        samples = b"".join(
            struct.pack("<h", int(3000 * math.sin(2 * math.pi * 440 * i / rate)))
            for i in range(count)
        )
    else:
        samples = b"\x00\x00" * count
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(samples), b"WAVE", b"fmt ", 16, 1, 1,
        rate, rate * 2, 2, 16, b"data", len(samples),
    )  # fmt: skip
    return header + samples
