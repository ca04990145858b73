"""drawpad.preprocess gives the models the same input it gave before it was made fast.

tests/data/preprocess_reference.npz holds inputs - real pendigits pen strokes
replayed on canvases of several sizes and pens (the pad's case), PHD08 samples of
가, Hangul glyphs of three fonts, odd images - and what the preprocessing of
a7e5f5b, the last one before it was made fast, made of each with DIGITS_SPEC and
HANGUL_SPEC: an image, or the ImageError it raised. Rebuilding an input needs
nothing but this file; tests/data/make_preprocess_reference.py regenerates it.
"""
from pathlib import Path

import cv2
import numpy as np
import pytest

from drawpad.canvas import draw_strokes
from drawpad.errors import ImageError
from drawpad.preprocess import DIGITS_SPEC, HANGUL_SPEC, preprocess

REFERENCE = Path(__file__).parent / "data" / "preprocess_reference.npz"
SPECS = {"digits": DIGITS_SPEC, "hangul": HANGUL_SPEC}
STROKES, IMAGE = 0, 1  # how a case's input is stored
# Model input may move by one grey level on this share of its pixels, no more.
MAX_CHANGED = 0.001


def stroke_canvas(height: int, width: int, paper: int, pen: int, channels: int,
                  strokes: list[np.ndarray]) -> np.ndarray:
    """Strokes drawn as the pad draws them; channels 0: HxW, else HxWxchannels."""
    image = draw_strokes(np.full((height, width), paper, np.uint8), strokes, pen)
    if channels == 1:
        return image[:, :, None]
    if channels in (3, 4):
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR if channels == 3 else cv2.COLOR_GRAY2BGRA)
    return image


def reference_inputs(ref) -> list[np.ndarray]:
    """The reference's input images, in case order."""
    strokes = np.split(ref["points"], np.cumsum(ref["stroke_lengths"])[:-1])
    per_canvas = np.split(np.arange(len(strokes)), np.cumsum(ref["n_strokes"])[:-1])
    canvases = iter(stroke_canvas(*params, [strokes[k] for k in ks])
                    for params, ks in zip(ref["stroke_params"], per_canvas))
    pngs = iter(np.split(ref["png"], np.cumsum(ref["png_lengths"])[:-1]))
    return [next(canvases) if source == STROKES else cv2.imdecode(next(pngs), cv2.IMREAD_UNCHANGED)
            for source in ref["source"]]


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE) as f:
        ref = dict(f)
    return ref, reference_inputs(ref)


def outcome(image, spec):
    try:
        return preprocess(image, spec)
    except ImageError as e:
        return str(e)


def mismatch(new, old, error: str) -> str | None:
    """What differs between this preprocessing's outcome and the reference's, or None."""
    if error or isinstance(new, str):
        got = new if isinstance(new, str) else "an image"
        return None if got == error else f"{got!r} instead of {error or 'an image'!r}"
    if new.shape != old.shape:
        return f"shape {new.shape} instead of {old.shape}"
    diff = np.abs(new.astype(int) - old.astype(int))
    changed = np.count_nonzero(diff)
    if diff.max() > 1 or changed > MAX_CHANGED * diff.size:
        return f"{changed} pixels changed, by up to {diff.max()} grey levels"
    return None


@pytest.mark.parametrize("spec", SPECS)
def test_same_model_input_as_before(reference, spec):
    ref, images = reference
    found = [f"{name}: {problem}" for name, image, old, error in
             zip(ref["name"], images, ref[spec], ref[f"{spec}_error"])
             if (problem := mismatch(outcome(image, SPECS[spec]), old, error))]
    assert not found, f"{len(found)} of {len(images)} inputs changed:\n" + "\n".join(found[:20])


def test_reference_covers_the_pads_inputs(reference):
    ref, images = reference
    names = list(ref["name"])
    assert sum(n.startswith("pendigits writer") for n in names) >= 150
    assert len({n.split()[2] for n in names if n.startswith("pendigits writer")}) >= 10
    assert sum(n.startswith("phd08 ") for n in names) >= 50
    fonts = [n.split()[1] for n in names if n.startswith("font ")]
    assert len(fonts) >= 60 and len(set(fonts)) >= 2
    assert any(max(image.shape[:2]) > 1600 for image in images)  # shrunk to MAX_SIDE first
    assert {image.ndim == 3 and image.shape[2] for image in images} >= {False, 1, 3, 4}
    errors = set(ref["digits_error"]) | set(ref["hangul_error"])
    assert {e.split(":")[0] for e in errors if e} >= {
        "the image is empty", "the image is all ink", "only a dot or blob was drawn"}
