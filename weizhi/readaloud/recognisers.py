"""Where a transcript comes from, chosen by READALOUD_RECOGNISER:

- ``none`` (default): no transcript; a reading is a check-in (打卡) and is not scored;
- ``wechat``: the Recognition field of a voice message, when WeChat sends one (web
  recordings get none);
- ``http``: a recognition service. Contract: ``POST {URL}`` with the recording as the body,
  ``Content-Type`` its MIME type, ``Authorization: Bearer {KEY}`` and ``X-Audio-Format``;
  the answer is JSON ``{"text": "…"}``. A cloud service is reached through a small adapter
  that speaks this;
- ``command``: a local program (a whisper.cpp or vosk-transcriber command line) from
  READALOUD_RECOGNISER_COMMAND, ``{file}`` replaced by the recording's path (``{format}`` by
  its format); its standard output is the transcript. It is stopped after
  READALOUD_RECOGNISER_TIMEOUT seconds;
- a dotted path to a class with ``recognise(path, fmt, hint) -> str | None`` (a local model).

A recogniser that fails gives no transcript: the reading is kept as a check-in, never lost.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol

import httpx
from django.utils.module_loading import import_string

from . import conf, localcommand
from .audio import FORMATS

log = logging.getLogger(__name__)


class Recogniser(Protocol):
    def recognise(self, path: Path, fmt: str, hint: str | None) -> str | None: ...


class NoRecogniser:
    def recognise(self, path: Path, fmt: str, hint: str | None) -> str | None:
        return None


class WeChatRecognition:
    """WeChat's own transcript, handed over with the voice message as ``hint``."""

    def recognise(self, path: Path, fmt: str, hint: str | None) -> str | None:
        return hint or None


class HttpRecogniser:
    def __init__(self, url: str, key: str, timeout: float = 30.0) -> None:
        self.url, self.key, self.timeout = url, key, timeout

    def recognise(self, path: Path, fmt: str, hint: str | None) -> str | None:
        headers = {
            "Content-Type": FORMATS.get(fmt, "application/octet-stream"),
            "X-Audio-Format": fmt,
        }
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        try:
            response = httpx.post(
                self.url, content=path.read_bytes(), headers=headers, timeout=self.timeout
            )
            response.raise_for_status()
            text = response.json().get("text")
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            log.warning("readaloud: recogniser at %s failed: %s", self.url, error)
            return None
        return text if isinstance(text, str) and text.strip() else None


class CommandRecogniser:
    def __init__(self, command: str, timeout: float) -> None:
        self.command, self.timeout = command, timeout

    def recognise(self, path: Path, fmt: str, hint: str | None) -> str | None:
        values = {"file": str(path), "format": fmt}
        try:
            text = localcommand.run(self.command, values, timeout=self.timeout)
        except localcommand.CommandError as error:
            log.warning("readaloud: local recogniser failed on %s: %s", path.name, error)
            return None
        text = " ".join(text.split())
        return text or None


def current() -> Recogniser:
    name = conf.recogniser()
    if name in ("", "none"):
        return NoRecogniser()
    if name == "wechat":
        return WeChatRecognition()
    if name == "http":
        return HttpRecogniser(conf.recogniser_url(), conf.recogniser_key())
    if name == "command":
        return CommandRecogniser(conf.recogniser_command(), conf.recogniser_timeout())
    return import_string(name)()
