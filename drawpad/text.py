"""Text on images, Hangul included.

OpenCV's putText only knows ASCII (Hangul comes out as '?'), so text is drawn
with Pillow and a Korean font found on the system; without one, non-ASCII
characters fall back to their code point (U+AC00) and a warning says why.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

FONT_CANDIDATES = [
    # Debian / Ubuntu: fonts-nanum, fonts-unfonts-core, fonts-baekmuk, Noto CJK
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
    "/usr/share/fonts/truetype/unfonts-core/UnDotum.ttf",
    "/usr/share/fonts/truetype/baekmuk/dotum.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    # Windows: Malgun Gothic
    "C:/Windows/Fonts/malgun.ttf",
    # macOS: Apple SD Gothic Neo
    "/System/Library/Fonts/AppleSDGothicNeo.ttc",
    "/System/Library/Fonts/Supplemental/AppleGothic.ttf",
]


@lru_cache(maxsize=1)
def korean_font_path() -> str | None:
    return next((p for p in FONT_CANDIDATES if Path(p).is_file()), None)


@lru_cache(maxsize=16)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(korean_font_path(), size)


@lru_cache(maxsize=1)
def _warn_no_font() -> None:
    print("warning: no Korean font found (install fonts-nanum, or Malgun Gothic / Apple SD "
          "Gothic Neo); Hangul is shown as code points", file=sys.stderr)


def ascii_fallback(text: str) -> str:
    return "".join(c if ord(c) < 128 else f"U+{ord(c):04X}" for c in text)


def draw_text(image: np.ndarray, text: str, org: tuple[int, int], size: int,
              color=(240, 240, 240)) -> np.ndarray:
    """Draw `text` with its top-left at `org`, `size` pixels tall, in place (BGR or gray)."""
    if text.isascii() or korean_font_path() is None:
        if not text.isascii():
            _warn_no_font()
            text = ascii_fallback(text)
        scale = size / 30
        cv2.putText(image, text, (org[0], org[1] + int(size * 0.8)), cv2.FONT_HERSHEY_SIMPLEX,
                    scale, color, max(1, round(scale * 2)), cv2.LINE_AA)
        return image
    from PIL import Image, ImageDraw

    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    x0, y0 = max(org[0], 0), max(org[1], 0)
    x1, y1 = min(org[0] + right + 2, image.shape[1]), min(org[1] + bottom + 2, image.shape[0])
    if x1 <= x0 or y1 <= y0:
        return image
    # Render only the text's box: a whole-frame PIL round trip would cost ms per frame.
    region = Image.fromarray(np.ascontiguousarray(image[y0:y1, x0:x1]))
    fill = tuple(int(c) for c in color[::-1]) if region.mode == "RGB" else int(np.mean(color))
    ImageDraw.Draw(region).text((org[0] - x0, org[1] - y0), text, font=font, fill=fill)
    image[y0:y1, x0:x1] = np.asarray(region)
    return image


def label_grid(images, labels, png, columns: int = 10, scale: int = 2) -> Path:
    """Model inputs with their labels underneath, as one PNG."""
    side = images[0].shape[0] * scale
    cell_w, cell_h = side + 8, side + 24
    rows = -(-len(images) // columns)
    grid = np.full((rows * cell_h, columns * cell_w, 3), 40, np.uint8)
    for k, (img, label) in enumerate(zip(images, labels)):
        y, x = k // columns * cell_h, k % columns * cell_w
        big = cv2.resize(np.asarray(img), (side, side), interpolation=cv2.INTER_NEAREST)
        grid[y:y + side, x:x + side] = big[..., None]
        draw_text(grid, str(label), (x + 4, y + side + 2), 18)
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    ok, data = cv2.imencode(".png", grid)
    if not ok:
        raise OSError(f"{png}: could not encode PNG")
    png.write_bytes(data.tobytes())
    return png
