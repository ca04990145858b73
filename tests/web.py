"""What the web pad's tests share: real strokes to draw, headless Chromium (or the reason for a skip)."""
from __future__ import annotations

import os

import numpy as np
import pytest

from benchmarks.browser import chromium, missing
from tests.conftest import STROKES_200


def digit_strokes(label: str = "7", seed: int = 0) -> list[list[list[int]]]:
    """A real pen's strokes of a digit (pendigits), placed on the pad's canvas as a person would
    draw them there: whole pixels, 400 px square on the left."""
    from data_tools.strokes import load_strokes, place_strokes

    sample = next(s for s in load_strokes(STROKES_200) if s["label"] == label)
    placed, _ = place_strokes(sample, np.random.default_rng(seed), 400, (240, 300), (16, 16))
    return [[[int(round(x)), int(round(y))] for x, y in s] for s in placed]


def straight(a, b, steps=12):
    (x0, y0), (x1, y1) = a, b
    return [[round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)] for i in range(steps + 1)]


# 가 as tests/test_window.py draws it: ㄱ (across, then down to the left), ㅏ (down, then a tick).
GA = [straight((70, 130), (230, 130)) + straight((230, 130), (170, 380))[1:],
      straight((320, 60), (320, 390)), straight((320, 230), (410, 230))]


def browser():
    """Headless Chromium through Selenium; skips with the reason where it cannot run (fails in CI)."""
    why = missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {why}")
        pytest.skip(why)
    return chromium()
