"""Draw the demo's short video clips and encode them once: ``python -m weizhi.content.demo_video``.

The clips are committed under ``weizhi/static/weizhi/demo/`` (a few seconds each, far under
2 MB together), so the product never needs ffmpeg: only this generator does. Frames are drawn
with Pillow in the demo's own palette: a title card, a slide with the clip's key line and a
progress bar, so a player visibly plays.
"""

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT_DIR = Path(__file__).resolve().parent.parent / "static" / "weizhi" / "demo"
WIDTH, HEIGHT, FPS, SECONDS = 480, 270, 12, 6
FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)
PALETTE = {"lesson": (178, 34, 34), "policy": (24, 90, 157), "expert": (28, 120, 90)}


@dataclass(frozen=True)
class Clip:
    slug: str
    series: str
    title: str
    line: str


CLIPS = (
    Clip("dangke-bazhang-yiwu", "lesson", "党章里的八项义务", "吃苦在前 · 享受在后"),
    Clip("zhengce-sanguan-sanbixu", "policy", "安全生产“三管三必须”", "管行业 管业务 管生产经营"),
    Clip("zhuanjia-xunhou-jianxiu", "expert", "汛后设备检修", "先排查 · 再检修 · 后验收"),
    Clip("dangke-lao-dangfei-shouju", "lesson", "一张老党费收据", "一份初心 · 代代相传"),
)


def _font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size, index=2)  # index 2: Simplified Chinese
    sys.exit("需要 fonts-noto-cjk（apt-get install fonts-noto-cjk）来绘制演示视频的文字")


def _centred(draw: ImageDraw.ImageDraw, y: int, text: str, font, fill) -> None:
    width = draw.textlength(text, font=font)
    draw.text(((WIDTH - width) / 2, y), text, font=font, fill=fill)


def frame(clip: Clip, index: int, total: int) -> Image.Image:
    colour = PALETTE[clip.series]
    image = Image.new("RGB", (WIDTH, HEIGHT), colour)
    draw = ImageDraw.Draw(image)
    progress = index / max(1, total - 1)
    # A band of light that sweeps across, so every frame differs a little and playback shows.
    x = int(-120 + progress * (WIDTH + 240))
    draw.polygon([(x, 0), (x + 60, 0), (x - 40, HEIGHT), (x - 100, HEIGHT)], fill=_tint(colour))
    draw.text((20, 16), "微智 · 演示片段", font=_font(16), fill=(255, 236, 200))
    if progress < 0.45:
        _centred(draw, 100, clip.title, _font(30), (255, 255, 255))
    else:
        _centred(draw, 84, clip.title, _font(22), (255, 236, 200))
        _centred(draw, 128, clip.line, _font(26), (255, 255, 255))
    draw.rectangle([20, HEIGHT - 28, WIDTH - 20, HEIGHT - 22], fill=_tint(colour, 0.25))
    draw.rectangle(
        [20, HEIGHT - 28, 20 + int((WIDTH - 40) * progress), HEIGHT - 22], fill=(255, 215, 0)
    )
    return image


def _tint(colour: tuple[int, int, int], amount: float = 0.12) -> tuple[int, int, int]:
    r, g, b = colour
    return tuple(int(c + (255 - c) * amount) for c in (r, g, b))  # type: ignore[return-value]


def encode(clip: Clip, ffmpeg: str) -> Path:
    total = FPS * SECONDS
    out = OUT_DIR / f"{clip.slug}.mp4"
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(total):
            frame(clip, i, total).save(Path(tmp) / f"{i:04d}.png")
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                ffmpeg, "-loglevel", "error", "-y", "-framerate", str(FPS),
                "-i", str(Path(tmp) / "%04d.png"),
                "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
                "-crf", "30", "-movflags", "+faststart", str(out),
            ],
            check=True,
        )  # fmt: skip
    return out


def main() -> None:
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        sys.exit("需要 ffmpeg 来编码演示视频（只在生成时需要；运行时不需要）")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for clip in CLIPS:
        out = encode(clip, ffmpeg)
        print(f"{out.relative_to(OUT_DIR.parent.parent.parent.parent)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    main()
