"""The one preprocessing: "ink on paper" -> model input.

Used by the pad at recognition time and by data_tools at training-data time,
so the model sees the same kind of image in both (no train/serve skew).

    invert to the model's polarity, binarize, crop to the ink, normalize the
    stroke width, fit into the model's box keeping aspect ratio, centre
    (centre of mass for MNIST-style models), resize to the model input.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import lru_cache

import cv2
import numpy as np

from drawpad.errors import ImageError

# Work on at most this many pixels a side: a 10000x10000 photo is shrunk
# first, so time and memory stay bounded whatever the input.
MAX_SIDE = 1600
# The strokes are redrawn at a whole multiple of the box at least this big,
# then shrunk with area averaging, which gives MNIST-like anti-aliased edges
# (digits: 3x their 20 px box). Bigger costs time: the converters run this
# millions of times.
WORK_SIDE = 56
# Ink whose thickest point is this fraction of its length is a dot, not a stroke.
DOT_RATIO = 0.75
# Two Otsu thresholds whose between-class variances are this close (relative) are a
# tie to within rounding; see otsu_threshold.
OTSU_TIE = 1e-9
# Shrinking: where fewer than this share of the pixels the ink touches are at least half
# ink, the strokes are a fraction of a pixel wide, too thin to threshold (see fit). A 1-5 px
# line shrunk 17 times keeps under 1%; the thinnest pen of the reference inputs keeps 41%.
THIN_KEPT = 0.25
LEVELS = np.arange(256, dtype=np.float64)  # the grey levels, for sums over a histogram


@dataclass(frozen=True)
class Preprocessing:
    """How a model wants its input; stored in the model card."""

    size: int = 28          # model input is size x size
    box: int = 20           # the ink is fitted into box x box inside it
    ink: str = "light"      # "light": white ink on black (MNIST); "dark": black on white
    centre: str = "mass"    # "mass": centre of mass (MNIST); "box": bounding-box centre
    stroke: float | None = 0.14  # stroke width as a fraction of the box; None keeps the pen's
    keep_fill: bool = False  # keep inked-solid regions (a filled loop, a bold blob) as shapes

    def __post_init__(self):
        if self.ink not in ("light", "dark"):
            raise ValueError(f"ink must be 'light' or 'dark', not {self.ink!r}")
        if self.centre not in ("mass", "box"):
            raise ValueError(f"centre must be 'mass' or 'box', not {self.centre!r}")
        if not 0 < self.box <= self.size:
            raise ValueError(f"box must be in 1..size ({self.size}), not {self.box}")

    def to_dict(self) -> dict:
        return asdict(self)

    def resized(self, size: int) -> "Preprocessing":
        """The same preprocessing for a size x size input, the box scaled along."""
        return replace(self, size=size, box=max(1, round(size * self.box / self.size)))

    def changes(self, other: "Preprocessing") -> list[str]:
        """What differs from self to other, as "setting old -> new" lines."""
        was, now = self.to_dict(), other.to_dict()
        return [f"{k} {was[k]} -> {now[k]}" for k in was if was[k] != now[k]]

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocessing":
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


def to_gray(image: np.ndarray) -> np.ndarray:
    """HxW, HxWx1, HxWx3 (BGR) or HxWx4 uint8 -> HxW uint8."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ImageError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.ndim == 3 and image.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2GRAY if image.shape[2] == 3 else cv2.COLOR_BGRA2GRAY
        image = cv2.cvtColor(image, code)
    if image.ndim != 2 or min(image.shape) == 0:
        raise ImageError(f"expected an HxW or HxWx3 image, got shape {image.shape}")
    return image


def otsu_threshold(hist: np.ndarray, lo: int, hi: int) -> int | None:
    """The threshold OpenCV's THRESH_OTSU picks for an image with this 256-bin
    histogram (darkest level lo, brightest hi), or None where it cannot be told here.

    Otsu maximizes the between-class variance q1 q2 (mu1 - mu2)^2, which is
    (s n - c total)^2 / (c (n - c)) / n^2 for c pixels of level sum s at or below
    the threshold, out of n of level sum `total`. Only thresholds lo..hi-1 leave
    pixels on both sides; for those OpenCV's rule that skips a class below
    FLT_EPSILON of the pixels never applies (one pixel of an image of at most
    MAX_SIDE^2 is more). OpenCV rounds otherwise (it goes through Intel IPP) and
    breaks exact ties its own way, so where thresholds that split the pixels
    differently come within OTSU_TIE of the best, None leaves the choice to it.
    Thresholds with no pixel between them give the same mask: no tie.
    """
    h = hist[lo:hi]
    c = np.add.accumulate(h)
    s = np.add.accumulate(h * LEVELS[lo:hi])
    n = hist.sum()
    d = s * n - c * (hist @ LEVELS)  # integers below 2^53: exact
    sigma = d * d / (c * (n - c))
    best = sigma.argmax()
    tied = c[sigma >= sigma[best] * (1 - OTSU_TIE)]
    return lo + int(best) if tied[0] == tied[-1] else None


def _span(flags: np.ndarray) -> tuple[int, int]:
    """First index of a True and one past the last."""
    return int(flags.argmax()), len(flags) - int(flags[::-1].argmax())


def _darker_box(gray: np.ndarray, hi: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the pixels darker than hi, the brightest level.

    A row or column all at hi sums to hi times its length; two passes of sums
    take half the time of boundingRect's search.
    """
    y, y_end = _span(cv2.reduce(gray, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() < hi * gray.shape[1])
    band = gray[y:y_end]
    x, x_end = _span(cv2.reduce(band, 0, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() < hi * len(band))
    return x, y, x_end - x, y_end - y


def working_gray(image: np.ndarray) -> np.ndarray:
    """The image as gray, shrunk to at most MAX_SIDE a side: what the ink is found in."""
    gray = to_gray(image)
    if max(gray.shape) > MAX_SIDE:
        scale = MAX_SIDE / max(gray.shape)
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return gray


def ink_region(gray: np.ndarray) -> tuple[np.ndarray, int, int]:
    """A working_gray image, dark ink on light paper -> (0/255 mask of the ink (Otsu
    threshold) cropped to the ink, the crop's left and top in `gray`)."""
    lo, hi, _, _ = cv2.minMaxLoc(gray)
    lo, hi = int(lo), int(hi)
    if hi - lo < 32:  # no contrast: blank paper or solid ink
        raise ImageError("the image is all ink: nothing to recognize" if hi < 128
                         else "the image is empty: draw something first")
    # Every pixel outside the box of those darker than hi is at hi: paper under any
    # Otsu threshold (all are below hi). So the histogram is the box's plus those
    # pixels at hi, and the threshold, the mask and its crop need the box alone,
    # on a pad's canvas a small part of it.
    x, y, w, h = _darker_box(gray, hi)
    box = gray[y:y + h, x:x + w]
    hist = cv2.calcHist([box], [0], None, [256], [0, 256]).ravel().astype(np.float64)
    hist[hi] += gray.size - box.size
    threshold = otsu_threshold(hist, lo, hi)
    if threshold is None:
        threshold = int(cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[0])
    if hist[:threshold + 1].sum() > 0.95 * gray.size:
        raise ImageError("the image is all ink: nothing to recognize")
    mask = cv2.threshold(box, threshold, 255, cv2.THRESH_BINARY_INV)[1]
    left, top, w, h = cv2.boundingRect(mask)
    if w == 0:
        raise ImageError("the image is empty: draw something first")
    return mask[top:top + h, left:left + w], x + left, y + top


def ink_mask(image: np.ndarray) -> np.ndarray:
    """Dark ink on light paper -> 0/255 mask of the ink (Otsu threshold), cropped to the ink."""
    return ink_region(working_gray(image))[0]


def crop_to_ink(mask: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0:
        raise ImageError("the image is empty: draw something first")
    return mask[y:y + h, x:x + w]


def fit(mask: np.ndarray, side: int) -> np.ndarray:
    """Scale a cropped 0/255 mask so its longer side is `side`, keeping aspect ratio.

    Shrinking keeps the pixels at least half ink, so a stroke keeps its weight. Strokes
    much thinner than a pixel of the result (a 1-px line on a big image) would vanish or
    break into specks that way: then every pixel the ink touches is kept."""
    h, w = mask.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if scale >= 1:
        return cv2.threshold(cv2.resize(mask, size, interpolation=cv2.INTER_LINEAR), 127, 255,
                             cv2.THRESH_BINARY)[1]
    small = cv2.resize(mask, size, interpolation=cv2.INTER_AREA)
    out = cv2.threshold(small, 127, 255, cv2.THRESH_BINARY)[1]
    if cv2.countNonZero(out) >= THIN_KEPT * cv2.countNonZero(small):
        return out
    # In float: one ink pixel among more than 510 would round to paper in uint8.
    share = cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    return cv2.threshold(share, 0, 255, cv2.THRESH_BINARY)[1].astype(np.uint8)


def distance_to_paper(mask: np.ndarray, border: int) -> np.ndarray:
    """Distance of each ink pixel to the paper, with `border` pixels of paper
    added around: a tight crop's edge is paper too, not more ink."""
    ink = cv2.copyMakeBorder(mask, border, border, border, border, cv2.BORDER_CONSTANT, value=0)
    return cv2.distanceTransform(ink, cv2.DIST_L2, 5)


def reject_dot(dist: np.ndarray, length: int) -> None:
    """A mark about as thick as it is long (a dot, a blob) is no character."""
    if 2 * cv2.minMaxLoc(dist)[1] >= DOT_RATIO * length:
        raise ImageError("only a dot or blob was drawn: draw a whole character")


@lru_cache(maxsize=1)
def _skeletonize():
    # scikit-image takes ~0.7 s to import: the pad's start-up should not pay for it.
    from skimage.morphology import skeletonize

    return skeletonize


def warm_up() -> None:
    """Import what the first preprocess would (scikit-image's skeletonize), e.g. in a
    background thread while the pad's window opens."""
    _skeletonize()


@lru_cache(maxsize=None)
def _disc(diameter: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (diameter, diameter))


@lru_cache(maxsize=256)
def _chamfer_disc(radius: float) -> np.ndarray:
    """The offsets closer than `radius` in distance_to_paper's metric, 0/1: dilating
    the ink with it marks the paper closer than `radius` to the ink, as the paper's
    own distance transform would, in less time."""
    r = int(radius) + 1
    point = np.ones((2 * r + 1, 2 * r + 1), np.uint8)
    point[r, r] = 0
    return (cv2.distanceTransform(point, cv2.DIST_L2, 5) < radius).view(np.uint8)


def _median(values: np.ndarray) -> np.floating:
    """np.median of a 1-D array, same value and dtype, without its overhead."""
    s = np.sort(values)
    k = s.size // 2
    return s[k] if s.size % 2 else (s[k - 1] + s[k]) / 2


def redraw_strokes(mask: np.ndarray, dist: np.ndarray, width: float, keep_fill: bool) -> np.ndarray:
    """Redraw the strokes of a 0/255 `mask` `width` pixels wide, whatever pen drew
    them; `dist` is distance_to_paper(mask, border), the result has its size.

    Painting a disc along the skeleton (the strokes' one-pixel centre line)
    gives a stroke of the wanted width, so a thick pen and a thin pen look
    alike. scikit-image's skeleton stays connected where the pen width varies;
    local maxima of the distance transform broke into beads there.

    The skeleton of a loop inked solid or of a bold blob is a thin line, so a
    bold 8 became a 5 or a 2 a 1. With `keep_fill` the ink itself is also
    grown or shrunk by the difference between its typical half-width and the
    wanted one, which keeps such shapes; the skeleton still keeps every hairline.
    """
    border = (dist.shape[0] - mask.shape[0]) // 2
    # scikit-image's thinning takes what lies beyond the edge for paper, so the mask
    # without dist's border of paper has the same skeleton, found in less time.
    skeleton = cv2.copyMakeBorder(_skeletonize()(mask).view(np.uint8), border, border, border, border,
                                  cv2.BORDER_CONSTANT, value=0)
    out = cv2.dilate(skeleton, _disc(max(1, round(width))))
    if keep_fill:
        # Move the ink's edge (half a pixel out from the last ink pixel) in by
        # `shrink`, or out where negative.
        shrink = _median(dist[skeleton.view(bool)]) - 0.5 - width / 2
        if shrink >= 0:
            out |= dist > shrink + 0.5
        else:
            out |= cv2.dilate((dist > 0).view(np.uint8), _chamfer_disc(float(0.5 - shrink)))
    return out * 255


def place(glyph: np.ndarray, size: int, centre: str) -> np.ndarray:
    """Put a glyph (float, ink high) into a size x size canvas, centred."""
    h, w = glyph.shape
    if centre == "mass":
        m = cv2.moments(glyph)
        cy, cx = (m["m01"] / m["m00"], m["m10"] / m["m00"]) if m["m00"] else (h / 2, w / 2)
    else:
        cy, cx = h / 2, w / 2
    # Sub-pixel placement: a whole-pixel rounding would shift the same drawing
    # by one pixel depending on where it was drawn. The clip keeps the whole
    # glyph inside even when its centre of mass is off-centre.
    top = min(max(size / 2 - cy, 0.0), float(size - h))
    left = min(max(size / 2 - cx, 0.0), float(size - w))
    shift = np.float32([[1, 0, left], [0, 1, top]])
    return cv2.warpAffine(glyph, shift, (size, size), flags=cv2.INTER_LINEAR)


DIGITS_SPEC = Preprocessing(size=28, box=20, ink="light", centre="mass", stroke=0.14, keep_fill=True)
# Hangul: PHD08 style (glyph box-centred), strokes thinner since a syllable has many.
HANGUL_SPEC = Preprocessing(size=60, box=56, ink="light", centre="box", stroke=0.06, keep_fill=True)


def preprocess(image: np.ndarray, spec: Preprocessing = DIGITS_SPEC) -> np.ndarray:
    """Dark ink on light paper (any size, HxW or HxWx3 uint8) -> spec.size^2 uint8.

    Raises ImageError for an image with nothing to recognize.
    """
    factor = -(-WORK_SIDE // spec.box)  # ceil
    work = spec.box * factor
    big = fit(ink_mask(image), work)
    width = spec.stroke * work if spec.stroke is not None else 0
    dist = distance_to_paper(big, int(width // 2) + 1)
    reject_dot(dist, work)
    if spec.stroke is not None:
        big = fit(crop_to_ink(redraw_strokes(big, dist, width, spec.keep_fill)), work)
    h, w = big.shape
    small = cv2.resize(big, (max(1, round(w / factor)), max(1, round(h / factor))),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    out = place(small, spec.size, spec.centre)
    if spec.ink == "dark":
        out = 255 - out
    return (out + 0.5).astype(np.uint8)  # area averages of 0/255 stay within 0..255
