"""Korean fonts -> PHD08-format text dumps, one file per syllable.

    python -m data_tools.synth --fonts auto --out synth/ --per-font 6 --seed 0
    python -m data_tools.phd08 --data-dir synth/ --out synth_60/

PHD08 itself is printed fonts scanned with variations; this renders the same
kind of samples from TrueType/OpenType fonts with Pillow, named like PHD08's
FO_FS_CP_RE_TH_SL: font code, size, copy/noise, resolution, binarization
threshold and slant, each at level 0-2, plus elastic distortion and stroke-
width changes so the strokes look more like handwriting. With --pen P, that share
of the samples is redrawn as pen strokes along the glyph's centre lines
(data_tools.pen), and most samples get each connected part (mostly a jamo) moved
and scaled a little on its own; --cursive C of those pen samples are written as a
quick hand writes (corners rounded, short strokes cut to ticks, nearby strokes
joined, horizontals rising, the bottom part squeezed). A font without a glyph for a syllable is
detected and skipped, never drawn as a tofu box.
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from functools import lru_cache
from itertools import product
from pathlib import Path

import cv2
import numpy as np
from skimage.morphology import skeletonize

from data_tools.distort import affine, elastic, pen_width
from data_tools.parallel import pool
from data_tools.pen import RISE, move_parts, redraw, squeeze_bottom
from data_tools.progress import Progress
from drawpad.atomic import write_atomically
from drawpad.errors import DrawpadError
from drawpad.labels import ksx1001_syllables, read_labels

FONT_DIRS = ["/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts", "~/.local/share/fonts",
             "C:/Windows/Fonts", "/System/Library/Fonts", "/Library/Fonts"]
# What each PHD08 field's level 0, 1, 2 means here.
SIZES = (40, 52, 64)              # FS: glyph size in pixels at resolution level 1
NOISE = (0.0, 0.04, 0.08)         # CP: copy noise, std of added gray noise (0..1 scale)
RESOLUTIONS = (0.75, 1.0, 1.25)   # RE: scan resolution, scales the rendering
THRESHOLDS = (0.35, 0.5, 0.65)    # TH: binarization threshold (lower: thicker strokes)
SLANTS = (-0.2, 0.0, 0.2)         # SL: shear
LEVELS = list(product(range(3), repeat=5))
# Strokes stay at least this many pixels wide: thinner ones (light fonts) break
# into dots once blurred, noised and thresholded.
MIN_STROKE = 3.0
PROBE = "가닭힝"  # KS X 1001 syllables every Korean font draws (뷁 is not in the set)


# A font is a file path, or "<path>#<n>" for face n of a collection (.ttc/.otc).
COLLECTIONS = (".ttc", ".otc")
FONT_FILES = (".ttf", ".otf", *COLLECTIONS)


def split_face(font: str | Path) -> tuple[str, int]:
    path, _, index = str(font).rpartition("#")
    return (path, int(index)) if path and index.isdigit() else (str(font), 0)


def font_code(font: str | Path) -> str:
    """PHD08 font codes are [A-Z0-9]+: NanumGothicBold.ttf -> NANUMGOTHICBOLD; a face
    of a collection is named by its family and style (NOTOSANSCJKKRBOLD)."""
    path, _ = split_face(font)
    name = Path(path).stem if str(font) == path else family(str(font))
    return re.sub(r"[^A-Z0-9]", "", name.upper()) or "FONT"


def family(font: str) -> str:
    """The font's family and style, as it names itself ("Noto Sans CJK KR Bold")."""
    return " ".join(filter(None, _font(font, 16).getname()))  # a font may name no style


@lru_cache(maxsize=None)  # every font at every size: loading a large .ttc costs ms
def _font(font: str, size: int):
    from PIL import ImageFont

    path, index = split_face(font)
    return ImageFont.truetype(path, size, index=index)


def faces(path: Path) -> list[str]:
    """A font file -> its fonts: itself, or every face of a collection."""
    if path.suffix.lower() not in COLLECTIONS:
        return [str(path)]
    found = []
    while True:
        try:
            _font(f"{path}#{len(found)}", 16)
        except OSError:
            return found
        found.append(f"{path}#{len(found)}")


def _render_gray(path: str, ch: str, size: int) -> np.ndarray:
    """A character in white on black, with margins, as float32 0..1."""
    from PIL import Image, ImageDraw

    font = _font(path, size)
    pad = size // 2
    img = Image.new("L", (2 * size + 2 * pad,) * 2, 0)
    ImageDraw.Draw(img).text((pad, pad), ch, font=font, fill=255)
    return np.asarray(img, np.float32) / 255


@lru_cache(maxsize=None)  # once per font and size
def _tofu(path: str, size: int) -> bytes:
    """What the font draws for a character it lacks (its .notdef glyph)."""
    return _render_gray(path, "\U0010FFFD", size).tobytes()


def has_glyph(path: str | Path, ch: str, size: int = 32) -> bool:
    """True if the font really draws `ch`: some ink, and not its .notdef box."""
    try:
        gray = _render_gray(str(path), ch, size)
    except OSError:
        return False
    return bool(gray.max() > 0.5) and gray.tobytes() != _tofu(str(path), size)


def is_korean_font(path: str | Path) -> bool:
    return all(has_glyph(path, ch) for ch in PROBE)


def distinct_korean(fonts: list[str]) -> list[str]:
    """The Korean fonts among `fonts`, each look once: the faces of a CJK collection
    (Noto's JP, KR, SC, TC, HK; D2Coding's ligature face) often share their Hangul,
    and a copy would only weigh that font twice. A face named KR is kept first."""
    seen, kept = set(), []
    korean = [f for f in fonts if is_korean_font(f)]  # first: a file PIL cannot open is no Korean font
    for font in sorted(korean, key=lambda f: " KR" not in family(f)):
        look = b"".join(_render_gray(font, ch, 32).tobytes() for ch in PROBE)
        if look not in seen:
            seen.add(look)
            kept.append(font)
    order = {f: i for i, f in enumerate(fonts)}
    return sorted(kept, key=order.get)


def find_fonts(where: str = "auto") -> list[str]:
    """Korean fonts under the system font folders (auto) or a given folder."""
    roots = [Path(d).expanduser() for d in FONT_DIRS] if where == "auto" else [Path(where)]
    found = []
    for root in roots:
        if root.is_dir():
            found += [face for p in sorted(root.rglob("*"))
                      if p.suffix.lower() in FONT_FILES for face in faces(p)]
    return distinct_korean(found)


def stroke_width(gray: np.ndarray) -> float:
    """Mean stroke width in pixels: ink area over centre-line length."""
    ink = gray > 0.5
    return float(ink.sum()) / max(1, int(skeletonize(ink).sum()))


def render_sample(path: str, ch: str, levels: tuple, rng: np.random.Generator,
                  pen: bool = False, cursive: bool = False) -> np.ndarray | None:
    """One PHD08-like sample: H x W uint8 bits, 1 = ink, cropped to the ink. `pen`: its
    centre lines redrawn as pen strokes (data_tools.pen), as a mouse draws, `cursive` too
    as a quick hand writes; else the font's own outline with a scan's look (blur, copy
    noise, threshold).

    None when the sample came out unusable (almost no ink, or solid ink).
    """
    fs, cp, re_, th, sl = levels
    size = max(12, round(SIZES[fs] * RESOLUTIONS[re_]))
    gray = _render_gray(path, ch, size)
    # Hands place and size a syllable's parts less evenly than a font: each jamo moves a little.
    if rng.random() < 0.7:
        gray = move_parts(gray, rng, size)
    cursive = pen and cursive
    if cursive:
        gray = squeeze_bottom(gray, rng)
    # Fonts differ most in proportions and in where a syllable's parts sit, so
    # the aspect ratio changes a lot and a coarse warp moves the parts against
    # each other; a fine warp then roughens the strokes. With only the fine warp
    # and +-8% stretch, models read fonts of other packages far worse (docs/hangul.md).
    gray = affine(gray, rotate_deg=rng.uniform(-4, 4), shear=SLANTS[sl] + rng.uniform(-0.05, 0.05),
                  stretch=rng.uniform(-0.25, 0.25), rise=rng.uniform(0, RISE) if cursive else 0.0)
    gray = elastic(gray, rng, alpha=size * 0.10, sigma=size * 0.25)
    if pen:
        gray = redraw(gray, rng, size, cursive=cursive)
    else:
        gray = elastic(gray, rng, alpha=size * 0.04, sigma=size * 0.12)
        change = int(rng.integers(-1, 2)) * max(1, size // 40)
        thinnest = int(np.ceil((MIN_STROKE - stroke_width(gray)) / 2))  # pen_width works per side
        gray = pen_width(gray, max(change, thinnest))
        gray = cv2.GaussianBlur(gray, (0, 0), 0.6 + 0.2 * re_)  # scanner blur
    # Cropped to the clean glyph, as PHD08's samples are: noise then roughens
    # the strokes instead of scattering specks that would widen the crop.
    x, y, w, h = cv2.boundingRect((gray > THRESHOLDS[th]).astype(np.uint8))
    gray = gray[y:y + h, x:x + w]
    if NOISE[cp] and not pen:  # a mouse's line is clean
        gray = gray + rng.normal(0, NOISE[cp], gray.shape).astype(np.float32)
    bits = (gray > THRESHOLDS[th]).astype(np.uint8)
    return bits if min(h, w) >= 4 and 0.02 < bits.mean() < 0.8 else None


def glyph_canvas(path: str, ch: str, rng: np.random.Generator, canvas: int = 400,
                 height: tuple[int, int] = (80, 320)) -> np.ndarray:
    """A clean glyph, black on a white canvas x canvas page, at a random height and position:
    the way the Hangul model is measured on fonts it never saw."""
    gray = _render_gray(path, ch, 128)
    x, y, w, h = cv2.boundingRect((gray > 0.5).astype(np.uint8))
    glyph = gray[y:y + h, x:x + w]
    scale = min(rng.uniform(*height) / h, (canvas - 8) / w, (canvas - 8) / h)
    glyph = cv2.resize(glyph, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    gh, gw = glyph.shape
    top, left = (int(rng.integers(2, canvas - side - 1)) for side in (gh, gw))
    page = np.zeros((canvas, canvas), np.float32)
    page[top:top + gh, left:left + gw] = glyph
    return (255 - np.clip(page, 0, 1) * 255).astype(np.uint8)


def dump_text(samples: list[tuple[str, np.ndarray]]) -> bytes:
    """PHD08 text: name, 'H W', rows of 0/1, blank line; CRLF like the originals."""
    out = []
    for name, bits in samples:
        h, w = bits.shape
        rows = (bits + 48).astype(np.uint8).tobytes()
        out.append(f"{name}\r\n{h} {w}\r\n".encode() +
                   b"".join(rows[r * w:(r + 1) * w] + b"\r\n" for r in range(h)) + b"\r\n")
    return b"".join(out)


def synth_file(ch: str, fonts: list[str], per_font: int, seed: int, out: Path, pen: float = 0.0,
               resume: bool = False, cursive: float = 0.0):
    """All samples of one syllable -> out/<ch>.txt (written whole or not at all); with
    `resume`, a file already there is kept. `pen`: the share redrawn as pen strokes,
    `cursive`: the share of those written cursively.
    -> (samples written, fonts that lack the syllable)."""
    rng = np.random.default_rng([seed, ord(ch)])
    missing = [path for path in fonts if not has_glyph(path, ch)]
    if resume and (out / f"{ch}.txt").exists():
        return 0, missing
    samples = []
    for path in fonts:
        if path in missing:
            continue
        for k in rng.choice(len(LEVELS), size=min(per_font, len(LEVELS)), replace=False):
            levels = LEVELS[k]
            bits = render_sample(path, ch, levels, rng, pen=bool(rng.random() < pen),
                                 cursive=bool(cursive) and bool(rng.random() < cursive))
            if bits is not None:
                samples.append((f"{font_code(path)}_" + "_".join(map(str, levels)), bits))
    write_atomically(out / f"{ch}.txt", dump_text(samples))
    return len(samples), missing


def synthesize(fonts: list, out, labels: list[str], per_font: int = 6, seed: int = 0,
               workers: int = 1, progress: bool = True, pen: float = 0.0,
               resume: bool = False, cursive: float = 0.0) -> tuple[int, dict[str, list[str]]]:
    """-> (samples written, {font: [syllables it lacks]}). `resume`: syllable files already
    in `out` (an interrupted run's) are kept, not written again."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    codes = {}
    for f in fonts:
        if codes.setdefault(font_code(f), f) != f:
            raise ValueError(f"fonts {codes[font_code(f)]} and {f} share the code {font_code(f)}")
    with open(out / "fonts.csv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("code", "font")] + [(font_code(f), str(f)) for f in fonts])
    bar = Progress(len(labels), "syllables") if progress else None
    total, lacking = 0, {}
    paths = [str(f) for f in fonts]
    with pool(workers) as executor:
        jobs = [executor.submit(synth_file, ch, paths, per_font, seed, out, pen, resume, cursive) for ch in labels]
        for ch, job in zip(labels, jobs):
            n, missing = job.result()
            total += n
            for m in missing:
                lacking.setdefault(m, []).append(ch)
            if bar:
                bar.update(1, n)
    return total, lacking


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m data_tools.synth", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fonts", default="auto",
                    help="auto (installed Korean fonts), a folder of fonts, or a file listing "
                         "font paths one per line (default %(default)s)")
    ap.add_argument("--out", required=True, help="output folder for the <syllable>.txt dumps")
    ap.add_argument("--labels", default="ksx1001",
                    help="ksx1001 (all 2,350 syllables) or a labels file (default %(default)s)")
    ap.add_argument("--per-font", type=int, default=6,
                    help="samples per font and syllable, distinct field combinations (default %(default)s)")
    ap.add_argument("--pen", type=float, default=0.0,
                    help="share of the samples redrawn as pen strokes, as a mouse draws (default %(default)s)")
    ap.add_argument("--cursive", type=float, default=0.0,
                    help="share of those pen samples written cursively, as a quick hand writes: joined, "
                         "rounded, rising, the bottom squeezed (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1, help="processes (default %(default)s)")
    args = ap.parse_args(argv)

    try:
        if Path(args.fonts).is_file():
            fonts = [Path(line.strip()) for line in Path(args.fonts).read_text().splitlines() if line.strip()]
            bad = [f for f in fonts if not is_korean_font(f)]
            if bad:
                raise ValueError(f"not Korean fonts (or unreadable): {', '.join(map(str, bad))}")
        else:
            fonts = find_fonts(args.fonts)
        if not fonts:
            raise ValueError(f"no Korean fonts found in {args.fonts} "
                             "(apt-get install fonts-nanum fonts-unfonts-core fonts-baekmuk)")
        labels = list(ksx1001_syllables()) if args.labels == "ksx1001" else read_labels(args.labels)
        print(f"{len(fonts)} fonts, {len(labels)} syllables, up to {args.per_font} samples each",
              file=sys.stderr)
        total, lacking = synthesize(fonts, args.out, labels, args.per_font, args.seed,
                                    max(1, args.workers), pen=args.pen, cursive=args.cursive)
    except (ValueError, OSError, DrawpadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished syllable files are complete, the rest are not written",
              file=sys.stderr)
        return 130
    for font, chars in lacking.items():
        print(f"warning: {font} lacks {len(chars)} syllables (skipped): {''.join(chars[:20])}"
              f"{'...' if len(chars) > 20 else ''}", file=sys.stderr)
    print(f"wrote {total:,} samples of {len(labels)} syllables from {len(fonts)} fonts to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
