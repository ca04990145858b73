"""Augmentation that looks like people drawing on a pad.

Slant, rotation, squash/stretch, elastic wobble and pen width on a white-on-black
digit; the output is "dark ink on light paper" ready for drawpad's preprocessing,
which then undoes position and size the way the pad does.
"""
from __future__ import annotations

import cv2
import numpy as np

UPSCALE = 2  # distort at 2x so the 28x28 strokes don't turn blocky
MARGIN = 16  # room around the digit so rotation and shear do not clip it


def random_affine(img: np.ndarray, rng: np.random.Generator, rotate: float = 15,
                  shear: float = 0.35, stretch: float = 0.2) -> np.ndarray:
    h, w = img.shape
    a = np.deg2rad(rng.uniform(-rotate, rotate))
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    slant = np.array([[1, rng.uniform(-shear, shear)], [0, 1]])
    sx = np.exp(rng.uniform(-stretch, stretch))
    m = rot @ slant @ np.diag([sx, 1 / sx])
    c = np.array([w / 2, h / 2])
    mat = np.hstack([m, (c - m @ c)[:, None]])
    return cv2.warpAffine(img, mat, (w, h), flags=cv2.INTER_LINEAR)


def elastic(img: np.ndarray, rng: np.random.Generator, alpha: float = 2.5,
            sigma: float = 6) -> np.ndarray:
    """Smooth random displacement field (Simard et al. 2003), alpha in pixels."""
    h, w = img.shape
    dx, dy = (cv2.GaussianBlur(rng.uniform(-1, 1, (h, w)).astype(np.float32), (0, 0), sigma)
              for _ in range(2))
    norm = alpha / max(np.abs(dx).max(), np.abs(dy).max(), 1e-6)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, xs + dx * norm, ys + dy * norm, cv2.INTER_LINEAR)


def pen_width(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    k = int(rng.integers(-1, 3))  # thinner by 1, same, thicker by 1 or 2
    if k == 0:
        return img
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(k) + 1,) * 2)
    return cv2.dilate(img, kernel) if k > 0 else cv2.erode(img, kernel)


def augment(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """White-on-black 28x28 digit -> a distorted dark-ink-on-light-paper image."""
    big = cv2.resize(digit, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_LINEAR)
    big = cv2.copyMakeBorder(big, MARGIN, MARGIN, MARGIN, MARGIN, cv2.BORDER_CONSTANT, value=0)
    big = pen_width(elastic(random_affine(big, rng), rng), rng)
    if big.max() < 64:  # erosion wiped a faint digit out: keep the original
        big = cv2.copyMakeBorder(cv2.resize(digit, None, fx=UPSCALE, fy=UPSCALE), MARGIN,
                                 MARGIN, MARGIN, MARGIN, cv2.BORDER_CONSTANT, value=0)
    return 255 - big
