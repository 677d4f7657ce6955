"""Demo study notes: pages of "hand-written" notes drawn with Pillow when the demo loads (no
image is committed), sent by demo members through the same service as a real note, then
approved, featured or sent back. Idempotent: a member's demo note is made only if missing.
Runs after load_demo_audience (the members) and load_demo (the columns)."""

from __future__ import annotations

import io
import random
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFont

from weizhi.audience.models import Member
from weizhi.moderation import services as moderation

from . import services
from .models import Note

# Sentences of the Party Constitution (党章) copied out by hand, and the reflection sent.
# (lines, reflection, decision)
NOTES = [
    (
        ["中国共产党是中国工人阶级的先锋队，", "同时是中国人民和中华民族的先锋队，",
         "是中国特色社会主义事业的领导核心。"],
        "抄写党章总纲第一段，再次体会“两个先锋队”的含义：先锋队意味着走在前面、干在实处。",
        "feature",
    ),
    (
        ["党的最高理想和最终目标", "是实现共产主义。"],
        "理想信念是共产党人精神上的“钙”。一笔一画抄下来，比读一遍记得更牢。",
        "approve",
    ),
    (
        ["我志愿加入中国共产党，拥护党的纲领，", "遵守党的章程，履行党员义务，",
         "执行党的决定，严守党的纪律，", "保守党的秘密，对党忠诚，积极工作，",
         "为共产主义奋斗终身。"],
        "重温入党誓词，想起入党那天的场景。誓词不长，每一句都要用一辈子去践行。",
        "feature",
    ),
    (
        ["坚持党和人民的利益高于一切，", "个人利益服从党和人民的利益，",
         "吃苦在前，享受在后，克己奉公，多做贡献。"],
        "党员义务第三条，对照自己的工作，在加班和值守时更要做到吃苦在前。",
        "approve",
    ),
    (
        ["全心全意为人民服务。"],
        "这是党的根本宗旨。本周在社区志愿服务中，对这七个字有了新的体会。",
        "pending",
    ),
    (
        ["学习党章"],
        "今天学了党章，很有收获，以后继续学习。",
        "reject",
    ),
]  # fmt: skip
REJECT_REASON = "照片只有一行字，感悟也比较笼统，请补充笔记内容后重新提交。"
FONT_PLACES = [
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/simkai.ttf",
]


def _font(size: int):
    for place in FONT_PLACES:
        if Path(place).exists():
            try:
                return ImageFont.truetype(place, size)
            except OSError:
                continue
    return None


def draw_page(lines: list[str], seed: int, page: int = 1) -> bytes:
    """A page of lined notebook paper with the lines written in a slightly wandering hand
    (each character nudged and tilted a little); where no Chinese font is installed, the
    lines are pen scribbles instead, so the demo works on any server."""
    rnd = random.Random(seed * 100 + page)  # noqa: S311 (a drawing, not a secret)
    width, height, pitch, margin = 900, 1200, 72, 90
    paper = Image.new("RGB", (width, height), (252, 250, 240))
    pen = ImageDraw.Draw(paper)
    for y in range(160, height - 40, pitch):
        pen.line([(40, y), (width - 40, y)], fill=(170, 200, 230), width=2)
    pen.line([(margin - 12, 0), (margin - 12, height)], fill=(230, 150, 150), width=2)
    ink = rnd.choice([(25, 35, 90), (20, 20, 20), (40, 40, 110)])
    font = _font(44)
    y = 160 - 58
    for text in lines:
        x = margin + rnd.randint(0, 12)
        for char in text:
            if x > width - 90:
                x, y = margin + rnd.randint(0, 10), y + pitch
            if font is not None:
                glyph = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
                ImageDraw.Draw(glyph).text((6, 4), char, font=font, fill=(*ink, 235))
                glyph = glyph.rotate(rnd.uniform(-6, 6), resample=Image.Resampling.BICUBIC)
                paper.paste(glyph, (x, y + rnd.randint(-4, 4)), glyph)
                x += 46 + rnd.randint(-3, 4)
            else:
                points = [(x + i * 8, y + 30 + rnd.randint(-14, 14)) for i in range(6)]
                pen.line(points, fill=ink, width=3, joint="curve")
                x += 48
        y += pitch
    pen.text((width - 140, height - 60), f"第 {page} 页" if font else f"- {page} -", fill=ink,
             font=_font(28))  # fmt: skip
    out = io.BytesIO()
    paper.save(out, "JPEG", quality=88)
    return out.getvalue()


def load_demo_notes() -> int:
    """The number of notes made."""
    members = list(Member.objects.active().order_by("employee_number")[: len(NOTES)])
    made = 0
    for index, ((lines, reflection, decision), member) in enumerate(
        zip(NOTES, members, strict=False)
    ):
        if Note.objects.filter(member=member, reflection=reflection).exists():
            continue
        pages = 2 if len(lines) > 3 else 1
        half = (len(lines) + 1) // 2 if pages == 2 else len(lines)
        chunks = [lines[:half], lines[half:]] if pages == 2 else [lines]
        photos = [
            SimpleUploadedFile(f"note-{index}-{p}.jpg", draw_page(chunk, index, p + 1))
            for p, chunk in enumerate(chunks)
        ]
        note = services.submit(member, reflection, photos)
        if decision in ("approve", "feature"):
            moderation.approve(note.item, None)
        if decision == "feature":
            moderation.set_featured(note.item, None, True)
        if decision == "reject":
            moderation.reject(note.item, None, REJECT_REASON)
        made += 1
    return made
