"""The read-aloud settings, read when asked (so a test's ``settings`` fixture applies): each
from Django settings if set there, else from the environment, with the default named here."""

from __future__ import annotations

from django.conf import settings

from weizhi.env import envint, envstr


def _value(name: str, default):
    return getattr(settings, name, default)


def recogniser() -> str:
    """none | wechat | http | a dotted path to a class with ``recognise(path, fmt)``."""
    return _value("READALOUD_RECOGNISER", envstr("READALOUD_RECOGNISER", "none"))


def recogniser_url() -> str:
    return _value("READALOUD_RECOGNISER_URL", envstr("READALOUD_RECOGNISER_URL"))


def recogniser_key() -> str:
    return _value("READALOUD_RECOGNISER_KEY", envstr("READALOUD_RECOGNISER_KEY"))


def max_bytes() -> int:
    return _value("READALOUD_MAX_MB", envint("READALOUD_MAX_MB", 8, minimum=1)) * 1024 * 1024


def max_seconds() -> int:
    return _value("READALOUD_MAX_SECONDS", envint("READALOUD_MAX_SECONDS", 300, minimum=5))


def keep_days() -> int:
    """Recordings older than this are deleted (the reading, its score and its item stay)."""
    return _value("READALOUD_KEEP_DAYS", envint("READALOUD_KEEP_DAYS", 180, minimum=1))


def recogniser_command() -> str:
    """The local recogniser (``READALOUD_RECOGNISER=command``): a command line with ``{file}``
    (and optionally ``{format}``) whose standard output is the transcript."""
    return _value("READALOUD_RECOGNISER_COMMAND", envstr("READALOUD_RECOGNISER_COMMAND"))


def recogniser_timeout() -> int:
    return _value(
        "READALOUD_RECOGNISER_TIMEOUT", envint("READALOUD_RECOGNISER_TIMEOUT", 120, minimum=1)
    )


def tts_command() -> str:
    """An offline speech synthesiser for the clips' reference audio: a command line with
    ``{out}`` (the WAV to write) and ``{text}`` or ``{textfile}``; empty means none."""
    return _value("READALOUD_TTS_COMMAND", envstr("READALOUD_TTS_COMMAND"))


def tts_timeout() -> int:
    return _value("READALOUD_TTS_TIMEOUT", envint("READALOUD_TTS_TIMEOUT", 120, minimum=1))
