"""示范朗读 made by an offline speech synthesiser, where READALOUD_TTS_COMMAND names one (for
example ``espeak-ng -v cmn -w {out} -f {textfile}``). An editor asks; a task runs the program on
the clip's passage, checks that it wrote audio (by its bytes, like a member's recording),
transcodes it as recordings are where ffmpeg exists, and stores it as the clip's reference
audio. Without the setting nothing is offered and nothing runs."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from django.core.files import File
from django.utils import timezone

from . import audio, conf, localcommand
from .models import Clip

log = logging.getLogger(__name__)
GENERATING = "正在生成示范朗读…"
FAILED = "生成失败：语音合成程序出错，请稍后再试或上传示范音频。"
NO_AUDIO = "生成失败：语音合成程序没有写出可用的音频，请检查其设置或上传示范音频。"


def available() -> bool:
    return bool(conf.tts_command().strip())


def mark_generating(clip: Clip) -> None:
    """The clip's note while its reference audio is made (tasks.request_synthesis)."""
    Clip.objects.filter(pk=clip.pk).update(reference_note=GENERATING)


def _note(clip: Clip, text: str) -> str:
    Clip.objects.filter(pk=clip.pk).update(reference_note=text)
    return text


def _run(clip: Clip, folder: Path) -> Path | None:
    out = folder / "reference.wav"
    textfile = folder / "passage.txt"
    textfile.write_text(clip.passage, encoding="utf-8")
    values = {"out": str(out), "text": clip.passage, "textfile": str(textfile)}
    try:
        localcommand.run(conf.tts_command(), values, timeout=conf.tts_timeout())
    except localcommand.CommandError as error:
        log.warning("readaloud: synthesis for clip %s failed: %s", clip.pk, error)
        return None
    return out


def _format_of(path: Path) -> str | None:
    """The written file's format by its bytes, or None: missing, empty, too big, not audio."""
    if not path.exists() or not 0 < path.stat().st_size <= conf.max_bytes():
        return None
    with path.open("rb") as f:
        return audio.sniff(f.read(64))


def synthesise(clip_id: int) -> str:
    """Make and store the clip's reference audio; the outcome is left in ``reference_note``."""
    clip = Clip.objects.filter(pk=clip_id).first()
    if clip is None:
        return "no such clip"
    if not available():
        return _note(clip, "未配置语音合成程序。")
    with tempfile.TemporaryDirectory(prefix="readaloud-tts-") as name:
        out = _run(clip, Path(name))
        if out is None:
            return _note(clip, FAILED)
        fmt = _format_of(out)
        if fmt is None:
            log.warning("readaloud: synthesis for clip %s wrote no usable audio", clip.pk)
            return _note(clip, NO_AUDIO)
        stored, fmt = audio.transcode(out, fmt)
        old = clip.reference_audio.name
        with stored.open("rb") as f:
            clip.reference_audio.save(audio.stored_name(fmt), File(f), save=False)
    made = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    Clip.objects.filter(pk=clip.pk).update(
        reference_audio=clip.reference_audio.name, reference_note=f"由语音合成生成（{made}）"
    )
    if old and old != clip.reference_audio.name:
        clip.reference_audio.storage.delete(old)
    log.info("readaloud: reference audio for clip %s synthesised (%s)", clip.pk, fmt)
    return "stored"
