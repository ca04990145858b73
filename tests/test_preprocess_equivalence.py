"""drawpad.preprocess gives the models the same input it gave before it was made fast.

tests/data/preprocess_reference.npz holds inputs - real pendigits pen strokes
replayed on canvases of several sizes and pens (the pad's case), PHD08 samples of
가, Hangul glyphs of three fonts, odd images - and what the preprocessing of
a7e5f5b, the last one before it was made fast, made of each with DIGITS_SPEC and
HANGUL_SPEC: an image, or the ImageError it raised. Rebuilding an input needs
nothing but this file; tests/data/make_preprocess_reference.py regenerates it.
"""
import warnings
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
# A new OpenCV or scikit-image may round a pixel the other way: model input may move by one grey
# level on this share of all the pixels compared, no more. Which inputs are refused (and why) and
# the input's size are drawpad's own decisions: those stay exactly as they were.
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


def compared(new, old, error: str) -> tuple[str | None, np.ndarray | None]:
    """What differs in drawpad's own decisions between this preprocessing's outcome and the
    reference's (or None), and the images' per-pixel difference where both are images."""
    if error or isinstance(new, str):
        got = new if isinstance(new, str) else "an image"
        return (None if got == error else f"{got!r} instead of {error or 'an image'!r}"), None
    if new.shape != old.shape:
        return f"shape {new.shape} instead of {old.shape}", None
    return None, np.abs(new.astype(int) - old.astype(int))


@pytest.mark.parametrize("spec", SPECS)
def test_same_model_input_as_before(reference, spec):
    ref, images = reference
    found, diffs = [], {}
    for name, image, old, error in zip(ref["name"], images, ref[spec], ref[f"{spec}_error"]):
        problem, diff = compared(outcome(image, SPECS[spec]), old, error)
        if problem:
            found.append(f"{name}: {problem}")
        elif diff is not None:
            diffs[name] = diff
    assert not found, f"{len(found)} of {len(images)} inputs changed:\n" + "\n".join(found[:20])
    changed = {name: d for name, d in diffs.items() if d.any()}
    if not changed:
        return
    worst = max(changed, key=lambda name: changed[name].max())
    pixels, moved = sum(d.size for d in diffs.values()), sum(np.count_nonzero(d) for d in changed.values())
    seen = (f"{moved} of {pixels} pixels in {len(changed)} of {len(diffs)} images, by up to "
            f"{changed[worst].max()} grey levels ({worst}), with OpenCV {cv2.__version__}")
    assert changed[worst].max() <= 1 and moved <= MAX_CHANGED * pixels, f"model input changed: {seen}:\n" + "\n".join(
        f"{name}: {np.count_nonzero(d)} pixels, by up to {d.max()}" for name, d in list(changed.items())[:20])
    warnings.warn(f"{spec}: model input moved within the tolerance: {seen}")


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
