"""The one preprocessing: "ink on paper" -> model input.

Used by the pad at recognition time and by data_tools at training-data time,
so the model sees the same kind of image in both (no train/serve skew).

    invert to the model's polarity, binarize, crop to the ink, normalize the
    stroke width, fit into the model's box keeping aspect ratio, centre
    (centre of mass for MNIST-style models), resize to the model input.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np
from skimage.morphology import skeletonize

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


def ink_mask(image: np.ndarray) -> np.ndarray:
    """Dark ink on light paper -> 0/255 mask of the ink (Otsu threshold)."""
    gray = to_gray(image)
    if max(gray.shape) > MAX_SIDE:
        scale = MAX_SIDE / max(gray.shape)
        gray = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    lo, hi = int(gray.min()), int(gray.max())
    if hi - lo < 32:  # no contrast: blank paper or solid ink
        raise ImageError("the image is all ink: nothing to recognize" if hi < 128
                         else "the image is empty: draw something first")
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if cv2.countNonZero(mask) > 0.95 * mask.size:
        raise ImageError("the image is all ink: nothing to recognize")
    return mask


def crop_to_ink(mask: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(mask)
    if w == 0:
        raise ImageError("the image is empty: draw something first")
    return mask[y:y + h, x:x + w]


def fit(mask: np.ndarray, side: int) -> np.ndarray:
    """Scale a cropped mask so its longer side is `side`, keeping aspect ratio."""
    h, w = mask.shape
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return (cv2.resize(mask, size, interpolation=interp) >= 128).astype(np.uint8) * 255


def distance_to_paper(mask: np.ndarray, border: int) -> np.ndarray:
    """Distance of each ink pixel to the paper, with `border` pixels of paper
    added around: a tight crop's edge is paper too, not more ink."""
    ink = cv2.copyMakeBorder((mask > 0).astype(np.uint8), border, border, border, border,
                             cv2.BORDER_CONSTANT, value=0)
    return cv2.distanceTransform(ink, cv2.DIST_L2, 5)


def reject_dot(dist: np.ndarray, length: int) -> None:
    """A mark about as thick as it is long (a dot, a blob) is no character."""
    if 2 * dist.max() >= DOT_RATIO * length:
        raise ImageError("only a dot or blob was drawn: draw a whole character")


def redraw_strokes(dist: np.ndarray, width: float, keep_fill: bool) -> np.ndarray:
    """Redraw the strokes `width` pixels wide, whatever pen drew them.

    Painting a disc along the skeleton (the strokes' one-pixel centre line)
    gives a stroke of the wanted width, so a thick pen and a thin pen look
    alike. scikit-image's skeleton stays connected where the pen width varies;
    local maxima of the distance transform broke into beads there.

    The skeleton of a loop inked solid or of a bold blob is a thin line, so a
    bold 8 became a 5 or a 2 a 1. With `keep_fill` the ink itself is also
    grown or shrunk by the difference between its typical half-width and the
    wanted one, which keeps such shapes; the skeleton still keeps every hairline.
    """
    ink = dist > 0
    skeleton = skeletonize(ink)
    d = max(1, round(width))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (d, d))
    out = cv2.dilate(skeleton.astype(np.uint8), disc) > 0
    if keep_fill:
        # Move the ink's edge (half a pixel out from the last ink pixel) in by
        # `shrink`, or out where negative; the paper's distances only then.
        shrink = np.median(dist[skeleton]) - 0.5 - width / 2
        if shrink >= 0:
            out |= dist > shrink + 0.5
        else:
            out |= cv2.distanceTransform((~ink).astype(np.uint8), cv2.DIST_L2, 5) < 0.5 - shrink
    return out.astype(np.uint8) * 255


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
    big = fit(crop_to_ink(ink_mask(image)), work)
    width = spec.stroke * work if spec.stroke is not None else 0
    dist = distance_to_paper(big, int(width // 2) + 1)
    reject_dot(dist, work)
    if spec.stroke is not None:
        big = fit(crop_to_ink(redraw_strokes(dist, width, spec.keep_fill)), work)
    h, w = big.shape
    small = cv2.resize(big, (max(1, round(w / factor)), max(1, round(h / factor))),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    out = place(small, spec.size, spec.centre)
    if spec.ink == "dark":
        out = 255 - out
    return (out + 0.5).astype(np.uint8)  # area averages of 0/255 stay within 0..255
