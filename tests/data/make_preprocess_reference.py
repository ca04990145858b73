"""Regenerate preprocess_reference.npz for tests/test_preprocess_equivalence.py.

    python tests/data/make_preprocess_reference.py

The expected outputs come from the preprocessing as it was at a7e5f5b, read with
`git show a7e5f5b:drawpad/preprocess.py`, so this needs the repository's git
history; the inputs need ../shared/data (pendigits strokes, phd08/가.txt) and
Korean fonts (Debian: apt-get install fonts-nanum). The test needs none of them.

Inputs: 150 pendigits digits, 5 from each of the 30 writers, replayed like the
pad's accuracy benchmark (400 px canvas, 80-320 px high, pens 8-30 px), and more
on small, large (past MAX_SIDE), non-square, grey and 1-, 3- and 4-channel
canvases; 50 PHD08 samples of 가; 60 glyphs of three Nanum fonts on a 400 px
page; noisy photo-like paper, tiny images and images with nothing to recognize.
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import data_tools.strokes as pen_strokes  # noqa: E402
from data_tools.phd08 import read_samples  # noqa: E402
from data_tools.synth import glyph_canvas  # noqa: E402
from drawpad.errors import ImageError  # noqa: E402
from drawpad.labels import ksx1001_syllables  # noqa: E402
from tests.test_preprocess_equivalence import IMAGE, REFERENCE, STROKES, reference_inputs  # noqa: E402

COMMIT = "a7e5f5b"
SHARED = ROOT.parent / "shared" / "data"
FONTS = [Path("/usr/share/fonts/truetype/nanum") / f for f in
         ("NanumGothic.ttf", "NanumMyeongjo.ttf", "NanumBarunGothicBold.ttf")]


def old_preprocessing():
    """drawpad/preprocess.py as it was at COMMIT, as a module."""
    source = subprocess.run(["git", "show", f"{COMMIT}:drawpad/preprocess.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / f"preprocess_{COMMIT}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def replayed(sample, rng, canvas=400, height=(80, 320), pen=(8, 30)):
    """data_tools.strokes.replay's strokes (in whole pixels, as draw_strokes rounds
    them), its pen and its image."""
    drawn = {}
    real = pen_strokes.draw_strokes

    def record(paper, strokes, width):
        drawn.update(strokes=[np.rint(s).astype(np.int16) for s in strokes], pen=width)
        return real(paper, strokes, width)

    pen_strokes.draw_strokes = record
    try:
        image = pen_strokes.replay(sample, rng, canvas, height, pen)
    finally:
        pen_strokes.draw_strokes = real
    return drawn["strokes"], drawn["pen"], image


def stroke_cases(rng):
    """(name, (height, width, paper, pen, channels), strokes, replay's image or None)
    of the pen-stroke inputs."""
    samples = pen_strokes.load_strokes(SHARED / "strokes" / "pendigits-train.ndjson.gz")
    by_writer = {}
    for s in samples:
        by_writer.setdefault(pen_strokes.writer(s), []).append(s)
    cases = []
    for w in sorted(by_writer):
        for k in rng.choice(len(by_writer[w]), 5, replace=False):
            s = by_writer[w][k]
            strokes, pen, image = replayed(s, rng)
            cases.append((f"pendigits writer {w} #{k} ({s['label']})", (400, 400, 255, pen, 0),
                          strokes, image))
    pick = iter(rng.choice(len(samples), 40, replace=False))
    for canvas, height, pens, shape, paper, channels in [
            (120, (24, 96), (2, 10), None, 255, 0), (120, (24, 96), (2, 10), None, 255, 0),
            (200, (40, 160), (3, 16), None, 255, 0), (200, (40, 160), (3, 16), None, 255, 0),
            (700, (140, 560), (10, 50), None, 255, 0), (1000, (200, 800), (12, 70), None, 255, 0),
            (1800, (400, 1500), (20, 90), None, 255, 0), (1800, (400, 1500), (20, 90), None, 255, 0),
            (400, (80, 320), (8, 30), (400, 640), 255, 0), (400, (80, 320), (8, 30), (640, 400), 255, 0),
            (400, (80, 320), (8, 30), None, 230, 0), (400, (80, 320), (8, 30), None, 140, 0),
            (400, (80, 320), (8, 30), None, 255, 1), (400, (80, 320), (8, 30), None, 255, 3),
            (400, (80, 320), (8, 30), None, 255, 4), (400, (20, 40), (8, 30), None, 255, 0),
            (400, (8, 16), (4, 6), None, 255, 0)]:
        s = samples[next(pick)]
        strokes, pen, image = replayed(s, rng, canvas, height, pens)
        h, w = shape or (canvas, canvas)
        plain = shape is None and paper == 255 and channels == 0
        cases.append((f"pendigits on {h}x{w} paper {paper} channels {channels} ({s['label']})",
                      (h, w, paper, pen, channels), strokes, image if plain else None))
    cases.append(("a click (dot)", (400, 400, 255, 16, 0), [np.array([[200, 200]], np.int16)], None))
    cases.append(("a short dash", (400, 400, 255, 16, 0),
                  [np.array([[190, 200], [206, 200]], np.int16)], None))
    return cases


def phd08_images(count=50):
    samples = list(read_samples(SHARED / "phd08" / "가.txt", None, print))
    step = len(samples) // count
    return [(f"phd08 {s.name}", np.where(s.bits > 0, 0, 255).astype(np.uint8))
            for s in samples[::step][:count]]


def glyph_images(rng, per_font=20):
    syllables = list(ksx1001_syllables())
    cases = []
    for font in FONTS:
        for ch in ["가"] + [syllables[k] for k in rng.choice(len(syllables), per_font - 1, replace=False)]:
            cases.append((f"font {font.stem} {ch}", glyph_canvas(str(font), ch, rng)))
    return cases


def photo_like(rng, strokes, pen, shape):
    """Strokes in dark, uneven ink on noisy, shaded paper."""
    h, w = shape
    ink = (255 - pen_strokes.draw_strokes(np.full(shape, 255, np.uint8), strokes, pen)) / 255
    shade = np.linspace(rng.uniform(150, 200), rng.uniform(210, 245), w)[None, :] + np.zeros((h, 1))
    paper = shade + rng.normal(0, 7, shape)
    image = paper * (1 - ink) + rng.uniform(20, 70) * ink + rng.normal(0, 5, shape) * ink
    return np.clip(cv2.GaussianBlur(image, (0, 0), 0.8), 0, 255).astype(np.uint8)


def odd_images(rng):
    samples = pen_strokes.load_strokes(SHARED / "strokes" / "pendigits-train.ndjson.gz")
    cases = []
    for k, side in enumerate((160, 200, 240)):
        strokes, pen, _ = replayed(samples[1000 + k], rng, side, (0.4 * side, 0.8 * side), (4, 14))
        cases.append((f"photo-like {side}x{side}", photo_like(rng, strokes, pen, (side, side))))
    tiny = np.full((9, 12), 255, np.uint8)
    tiny[2:8, 5:7] = 0
    cases.append(("tiny 9x12 bar", tiny))
    small = np.full((6, 6), 255, np.uint8)
    small[1:5, 2] = 30
    cases.append(("tiny 6x6 line", small))
    row = np.full((1, 40), 255, np.uint8)
    row[0, 10:25] = 0
    cases.append(("one row", row))
    cases.append(("one column", np.ascontiguousarray(row.T)))
    cases.append(("blank paper", np.full((400, 400), 255, np.uint8)))
    cases.append(("all black", np.zeros((400, 400), np.uint8)))
    faint = np.full((300, 300), 200, np.uint8)
    cv2.line(faint, (50, 50), (250, 250), 180, 12)
    cases.append(("faint ink (no contrast)", faint))
    murky = np.full((300, 300), 60, np.uint8)
    cv2.line(murky, (50, 50), (250, 250), 40, 12)
    cases.append(("dark paper (no contrast)", murky))
    inked = np.zeros((400, 400), np.uint8)
    inked[100:110, 100:110] = 255
    cases.append(("ink everywhere but a square", inked))
    blob = np.full((400, 400), 255, np.uint8)
    cv2.circle(blob, (200, 200), 80, 0, -1)
    cases.append(("a blob", blob))
    # Pixels of 108, 129 and 150 in the ratio 2:5:2: thresholds 108 and 129 have the
    # same between-class variance, and OpenCV (through IPP) picks the second.
    tie = np.repeat(np.array([108, 129, 150], np.uint8), [1800, 4500, 1800]).reshape(90, 90)
    cases.append(("tied Otsu thresholds", tie))
    return cases


def main() -> None:
    old = old_preprocessing()
    rng = np.random.default_rng(20240601)
    strokes = stroke_cases(rng)
    images = phd08_images() + glyph_images(rng) + odd_images(rng)
    names = [n for n, *_ in strokes] + [n for n, _ in images]
    source = [STROKES] * len(strokes) + [IMAGE] * len(images)
    pngs = [np.frombuffer(cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 9])[1], np.uint8)
            for _, image in images]
    ref = {
        "name": np.array(names), "source": np.array(source, np.uint8),
        "stroke_params": np.array([params for _, params, _, _ in strokes], np.int16),
        "n_strokes": np.array([len(s) for _, _, s, _ in strokes], np.int32),
        "stroke_lengths": np.array([len(p) for _, _, s, _ in strokes for p in s], np.int32),
        "points": np.concatenate([p for _, _, s, _ in strokes for p in s]).astype(np.int16),
        "png": np.concatenate(pngs), "png_lengths": np.array([len(p) for p in pngs], np.int32),
    }
    inputs = reference_inputs(ref)
    for (name, *_, image), rebuilt in zip(strokes + images, inputs):
        assert image is None or np.array_equal(image, rebuilt), name
    for name, spec in (("digits", old.DIGITS_SPEC), ("hangul", old.HANGUL_SPEC)):
        outputs, errors = [], []
        for image in inputs:
            try:
                outputs.append(old.preprocess(image, spec))
                errors.append("")
            except ImageError as e:
                outputs.append(np.zeros((spec.size, spec.size), np.uint8))
                errors.append(str(e))
        ref[name], ref[f"{name}_error"] = np.stack(outputs), np.array(errors)
    tmp = REFERENCE.with_name(f".{REFERENCE.stem}.partial.npz")
    np.savez_compressed(tmp, **ref)
    tmp.replace(REFERENCE)
    refused = sum(bool(e) for e in ref["digits_error"])
    print(f"{REFERENCE}: {len(names)} inputs ({len(strokes)} drawn from strokes, {refused} refused "
          f"with DIGITS_SPEC), {REFERENCE.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
