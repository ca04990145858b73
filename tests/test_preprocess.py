import importlib
import subprocess
import sys
from dataclasses import replace

import cv2
import numpy as np
import pytest

from drawpad.errors import ImageError
from drawpad.preprocess import DIGITS_SPEC, HANGUL_SPEC, Preprocessing, ink_mask, otsu_threshold, preprocess
from tests.conftest import stroke_image

pp = importlib.import_module("drawpad.preprocess")  # the module: drawpad.preprocess is also the function

# A "4": two strokes in unit coordinates.
FOUR = [[(0.55, 0.0), (0.0, 0.65), (0.8, 0.65)], [(0.6, 0.2), (0.6, 1.0)]]


def draw(shape, x, y, height, pen, canvas=400):
    return stroke_image([[(x + px * height, y + py * height) for px, py in s] for s in shape],
                        canvas, pen)


def similarity(a, b):
    """Intersection over union of the inked pixels of two model inputs."""
    a, b = a > 64, b > 64
    return (a & b).sum() / (a | b).sum()


@pytest.mark.parametrize("x, y, height, pen", [
    (150, 140, 100, 8),    # small, thin pen
    (20, 20, 340, 30),     # huge, thick pen, top-left
    (290, 260, 110, 20),   # small, bottom-right corner
    (60, 200, 150, 12),    # off-centre
])
def test_same_digit_gives_same_input_wherever_and_however_drawn(x, y, height, pen):
    reference = preprocess(draw(FOUR, 100, 80, 240, 16))
    other = preprocess(draw(FOUR, x, y, height, pen))
    assert similarity(reference, other) > 0.8
    assert np.abs(reference.astype(int) - other.astype(int)).mean() < 12


def test_a_different_digit_is_not_similar():
    seven = [[(0.0, 0.0), (0.7, 0.0), (0.3, 1.0)]]
    assert similarity(preprocess(draw(FOUR, 100, 80, 240, 16)), preprocess(draw(seven, 100, 80, 240, 16))) < 0.4


def test_output_is_mnist_like():
    out = preprocess(draw(FOUR, 100, 80, 240, 16))
    assert out.shape == (28, 28) and out.dtype == np.uint8
    ys, xs = np.nonzero(out > 32)
    assert ys.max() - ys.min() + 1 <= 21 and xs.max() - xs.min() + 1 <= 21  # fits the 20x20 box
    assert out[0].max() == 0 and out[-1].max() == 0  # light ink on black, margin kept
    m = out.astype(float)
    cy = (m.sum(1) * np.arange(28)).sum() / m.sum()
    cx = (m.sum(0) * np.arange(28)).sum() / m.sum()
    assert abs(cy - 13.5) < 1.5 and abs(cx - 13.5) < 1.5  # centre of mass in the middle


def test_stroke_width_is_normalized():
    thin = preprocess(draw(FOUR, 100, 80, 240, 6))
    thick = preprocess(draw(FOUR, 100, 80, 240, 36))
    assert abs(int((thin > 128).sum()) - int((thick > 128).sum())) < 0.25 * (thin > 128).sum()


def test_a_loop_inked_solid_stays_solid():
    # A bold "9" whose loop the pen filled in: a blob on a stem. Its skeleton is
    # a thin line, which reads as a 1 or a 7; keep_fill keeps the blob.
    nine = np.full((400, 400), 255, np.uint8)
    cv2.circle(nine, (190, 130), 60, 0, -1)
    cv2.line(nine, (240, 130), (240, 360), 0, 20)

    def thickest(spec):  # half-width of the thickest inked part of the model input
        return cv2.distanceTransform((preprocess(nine, spec) > 128).astype(np.uint8), cv2.DIST_L2, 5).max()

    assert DIGITS_SPEC.keep_fill and thickest(DIGITS_SPEC) > 3.5
    assert thickest(replace(DIGITS_SPEC, keep_fill=False)) < 2.5


def test_dark_polarity_and_box_centring():
    spec = Preprocessing(size=60, box=56, ink="dark", centre="box", stroke=None)
    out = preprocess(draw(FOUR, 100, 80, 240, 16), spec)
    assert out.shape == (60, 60)
    assert out[0, 0] == 255 and out.min() == 0  # dark ink on white
    ys, xs = np.nonzero(out < 128)
    assert abs((ys.min() + ys.max()) / 2 - 29.5) <= 1 and abs((xs.min() + xs.max()) / 2 - 29.5) <= 1


def test_colour_and_alpha_images_accepted():
    gray = draw(FOUR, 100, 80, 240, 16)
    bgr = np.repeat(gray[..., None], 3, axis=2)
    assert np.array_equal(preprocess(gray), preprocess(bgr))


@pytest.mark.parametrize("image, message", [
    (np.full((400, 400), 255, np.uint8), "empty"),
    (np.zeros((400, 400), np.uint8), "all ink"),
    (stroke_image([[(200, 200)]], pen=16), "dot"),
    (np.zeros((0, 10), np.uint8), "shape"),
    (np.zeros((4, 4, 2), np.uint8), "shape"),
    (np.zeros((20, 20), np.float32), "uint8"),
])
def test_nothing_to_recognize_is_a_clear_error(image, message):
    with pytest.raises(ImageError, match=message):
        preprocess(image)


@pytest.mark.parametrize("pen", [1, 3, 5])
@pytest.mark.parametrize("spec", [DIGITS_SPEC, HANGUL_SPEC, replace(DIGITS_SPEC, stroke=None)],
                         ids=["digits", "hangul", "pen kept"])
def test_a_thin_stroke_on_a_big_image_is_read(spec, pen):
    # Shrunk 1000 px -> 60, a 1-px line is 1/17 px wide: averaged and thresholded at
    # half ink it vanished (an IndexError, or a blank model input without stroke
    # normalization). It reads as the same character drawn with a pen.
    thin = preprocess(draw(FOUR, 300, 200, 1000, pen, canvas=1500), spec)
    normal = preprocess(draw(FOUR, 100, 80, 240, 16), spec)
    assert thin.max() > 64
    if spec.stroke is not None:
        assert similarity(thin, normal) > 0.8


def test_odd_images_give_model_input_or_an_image_error():
    rng = np.random.default_rng(0)
    images = [np.full((h, w), 255, np.uint8) for h, w in [(1, 1), (1, 300), (2500, 1), (2, 2)]]
    for image in images:
        image.flat[0] = 0
    for _ in range(60):  # lines of any length, angle, pen and grey, on any paper size
        h, w = (int(n) for n in rng.integers(2, 2500, 2))
        image = np.full((h, w), 255, np.uint8)
        for _ in range(rng.integers(1, 4)):
            (x0, x1), (y0, y1) = rng.integers(0, w, 2), rng.integers(0, h, 2)
            cv2.line(image, (int(x0), int(y0)), (int(x1), int(y1)), int(rng.integers(0, 120)),
                     int(rng.integers(1, 4)))
        images.append(image)
    images += [rng.integers(0, 256, (int(h), int(w)), dtype=np.uint8) for h, w in rng.integers(1, 40, (20, 2))]
    for image in images:
        for spec in (DIGITS_SPEC, HANGUL_SPEC, replace(DIGITS_SPEC, stroke=None)):
            try:
                out = preprocess(image, spec)
            except ImageError:
                continue
            assert out.shape == (spec.size, spec.size) and out.dtype == np.uint8 and out.max() > 0


def test_huge_image_is_handled():
    big = np.full((10000, 10000), 255, np.uint8)
    big[2000:8000, 4800:5400] = 0  # a "1"
    out = preprocess(big)
    assert out.shape == (28, 28) and out.max() > 200


def test_importing_leaves_scikit_image_to_warm_up():
    # scikit-image takes most of a second to import: the pad's window must not wait for it.
    code = ("import sys; from drawpad.preprocess import warm_up; print('skimage' in sys.modules); "
            "warm_up(); print('skimage' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]


def otsu_mask(image):
    return cv2.threshold(image, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]


def test_otsu_threshold_splits_the_pixels_as_opencv_does():
    rng = np.random.default_rng(0)
    undecided = 0
    for k in range(3000):
        n = int(rng.integers(2, 300))
        levels = rng.integers(0, 256, int(rng.integers(2, 6)))
        image = (rng.integers(0, 256, (1, n)) if k % 2 else rng.choice(levels, (1, n))).astype(np.uint8)
        lo, hi = int(image.min()), int(image.max())
        if lo == hi:
            continue
        hist = np.bincount(image.ravel(), minlength=256).astype(np.float64)
        threshold = otsu_threshold(hist, lo, hi)
        if threshold is None:
            undecided += 1
        else:
            mask = cv2.threshold(image, threshold, 255, cv2.THRESH_BINARY_INV)[1]
            assert np.array_equal(mask, otsu_mask(image)), image
    assert undecided < 30  # only near-exact ties, which few images have


def test_a_tie_between_otsu_thresholds_is_left_to_opencv():
    # 108 and 129 split 2:5:2 pixels of 108, 129, 150 equally well; OpenCV (through
    # Intel IPP) may take either, and the masks differ.
    tie = np.repeat(np.array([108, 129, 150], np.uint8), [200, 500, 200]).reshape(30, 30)
    assert otsu_threshold(np.bincount(tie.ravel(), minlength=256).astype(np.float64), 108, 150) is None
    mask = otsu_mask(tie)
    x, y, w, h = cv2.boundingRect(mask)
    assert np.array_equal(ink_mask(tie), mask[y:y + h, x:x + w])


def test_opencvs_own_otsu_threshold_gives_the_same_input(monkeypatch):
    # Where otsu_threshold cannot tell, ink_mask asks OpenCV on the whole image.
    cases = [(draw(FOUR, x, y, height, pen), spec)
             for x, y, height, pen in [(100, 80, 240, 16), (20, 20, 340, 30), (150, 140, 100, 8)]
             for spec in (DIGITS_SPEC, HANGUL_SPEC)]
    expected = [preprocess(image, spec) for image, spec in cases]
    monkeypatch.setattr(pp, "otsu_threshold", lambda hist, lo, hi: None)
    assert all(np.array_equal(preprocess(image, spec), e) for (image, spec), e in zip(cases, expected))
