"""Distortions that make clean glyphs look more like handwriting (numpy in, numpy out).

Shared by the digit augmentation (train/augment.py) and the font synthesizer
(data_tools/synth.py). Images are ink-high (white on black) uint8.
"""
from __future__ import annotations

import cv2
import numpy as np


def affine_matrix(rotate_deg: float = 0.0, shear: float = 0.0, stretch: float = 0.0,
                  rise: float = 0.0) -> np.ndarray:
    """2x2: rotate, slant (x += shear * y), stretch (log aspect ratio) and rise (y -= rise * x:
    horizontal strokes climbing to the right, verticals kept), for (x, y) columns."""
    a = np.deg2rad(rotate_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return (rot @ np.array([[1, 0], [-rise, 1]]) @ np.array([[1, shear], [0, 1]])
            @ np.diag([np.exp(stretch), np.exp(-stretch)]))


def affine(img: np.ndarray, rotate_deg: float = 0.0, shear: float = 0.0,
           stretch: float = 0.0, rise: float = 0.0) -> np.ndarray:
    """Rotate, slant, stretch and rise (see affine_matrix) about the centre."""
    h, w = img.shape
    m = affine_matrix(rotate_deg, shear, stretch, rise)
    c = np.array([w / 2, h / 2])
    return cv2.warpAffine(img, np.hstack([m, (c - m @ c)[:, None]]), (w, h), flags=cv2.INTER_LINEAR)


def elastic(img: np.ndarray, rng: np.random.Generator, alpha: float = 2.5,
            sigma: float = 6) -> np.ndarray:
    """Smooth random displacement field (Simard et al. 2003), at most alpha pixels."""
    h, w = img.shape
    # A wide field is smooth: made on a grid `step` times coarser and resized up, it costs
    # a fraction of blurring at full size (fonts' coarse warps), and is the same field kind.
    step = max(1, int(sigma // 4))
    gh, gw = -(-h // step), -(-w // step)
    dx, dy = (cv2.GaussianBlur(rng.uniform(-1, 1, (gh, gw)).astype(np.float32), (0, 0), sigma / step)
              for _ in range(2))
    if step > 1:
        dx, dy = (cv2.resize(d, (w, h), interpolation=cv2.INTER_LINEAR) for d in (dx, dy))
    norm = alpha / max(np.abs(dx).max(), np.abs(dy).max(), 1e-6)
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(img, xs + dx * norm, ys + dy * norm, cv2.INTER_LINEAR)


def pen_width(img: np.ndarray, change: int) -> np.ndarray:
    """Thicker (change > 0) or thinner (< 0) strokes by about `change` pixels a side."""
    if change == 0:
        return img
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(change) + 1,) * 2)
    return cv2.dilate(img, kernel) if change > 0 else cv2.erode(img, kernel)
