"""Augmentation that looks like people drawing on a pad.

Slant, rotation, squash/stretch, elastic wobble and pen width on a white-on-black
digit; the output is "dark ink on light paper" ready for drawpad's preprocessing,
which then undoes position and size the way the pad does.
"""
from __future__ import annotations

import cv2
import numpy as np

from data_tools.distort import affine, elastic, pen_width

UPSCALE = 2  # distort at 2x so the 28x28 strokes don't turn blocky
MARGIN = 16  # room around the digit so rotation and shear do not clip it


def augment(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """White-on-black 28x28 digit -> a distorted dark-ink-on-light-paper image."""
    big = cv2.resize(digit, None, fx=UPSCALE, fy=UPSCALE, interpolation=cv2.INTER_LINEAR)
    big = cv2.copyMakeBorder(big, MARGIN, MARGIN, MARGIN, MARGIN, cv2.BORDER_CONSTANT, value=0)
    big = affine(big, rotate_deg=rng.uniform(-15, 15), shear=rng.uniform(-0.35, 0.35),
                 stretch=rng.uniform(-0.2, 0.2))
    big = pen_width(elastic(big, rng), int(rng.integers(-1, 3)))  # thinner by 1 .. thicker by 2
    if big.max() < 64:  # erosion wiped a faint digit out: keep the original
        big = cv2.copyMakeBorder(cv2.resize(digit, None, fx=UPSCALE, fy=UPSCALE), MARGIN,
                                 MARGIN, MARGIN, MARGIN, cv2.BORDER_CONSTANT, value=0)
    return 255 - big
