"""Builders for the read-aloud tests (no tests here)."""

from __future__ import annotations

import io

from weizhi.readaloud.audio import silent_wav
from weizhi.readaloud.models import Clip, Series

OATH = (
    "我志愿加入中国共产党，拥护党的纲领，遵守党的章程，履行党员义务，执行党的决定，"
    "严守党的纪律，保守党的秘密，对党忠诚，积极工作，为共产主义奋斗终身，"
    "随时准备为党和人民牺牲一切，永不叛党。"
)


def clip(passage: str = OATH, **fields) -> Clip:
    series = Series.objects.get_or_create(title="入党誓词")[0]
    fields.setdefault("title", "入党誓词")
    fields.setdefault("interpretation", "誓词是党员对党的庄严承诺。")
    return Clip.objects.create(series=series, passage=passage, **fields)


def wav(seconds: float = 2.0, name: str = "reading.wav") -> io.BytesIO:
    body = io.BytesIO(silent_wav(seconds, beep=True))
    body.name = name
    return body
