"""Draw the site's icons once: ``python -m weizhi.content.draw_icons``.

A red rounded square with a white speech bubble (the Official Account) and a gold star: the
same geometry as ``favicon.svg``, rendered with Pillow into the touch icon and favicon.ico
that browsers and WeChat ask for. The output is committed; nothing draws at runtime.
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT_DIR = Path(__file__).resolve().parent.parent / "static" / "weizhi"
RED, GOLD, WHITE = (200, 22, 29), (255, 204, 0), (255, 255, 255)


def star(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def draw(size: int, scale: int = 4) -> Image.Image:
    """The icon on a 64-unit grid, drawn large and scaled down for smooth edges."""
    big = size * scale
    u = big / 64
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle([0, 0, big - 1, big - 1], radius=14 * u, fill=RED)
    pen.rounded_rectangle([12 * u, 15 * u, 52 * u, 43 * u], radius=8 * u, fill=WHITE)
    pen.polygon([(20 * u, 41 * u), (18 * u, 52 * u), (30 * u, 42 * u)], fill=WHITE)
    pen.polygon(star(32 * u, 29 * u, 10 * u, 4 * u), fill=GOLD)
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    draw(180).save(OUT_DIR / "apple-touch-icon.png", optimize=True)
    draw(192).save(OUT_DIR / "icon-192.png", optimize=True)
    draw(64).save(OUT_DIR / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64)])
    for name in ("apple-touch-icon.png", "icon-192.png", "favicon.ico"):
        print(name, (OUT_DIR / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
