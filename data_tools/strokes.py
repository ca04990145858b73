"""Real pen strokes (UCI pendigits ndjson) replayed onto a pad-sized canvas.

This is the closest thing to what a person draws on the pad, so it is how the
pad's accuracy is measured.
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from data_tools.distort import affine_matrix
from drawpad.canvas import PAPER, draw_strokes
from drawpad.errors import DataError


def load_strokes(path: str | Path) -> list[dict]:
    """-> [{"label": "7", "strokes": [[[x, y], ...], ...], "y_axis": "up"}, ...]"""
    opener = gzip.open if str(path).endswith(".gz") else open
    samples, n = [], 0
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if line.strip():
                    samples.append(json.loads(line))
    except (OSError, EOFError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    except json.JSONDecodeError as e:
        raise DataError(f"{path}:{n}: not a JSON object ({e.msg})") from None
    return samples


def writer(sample: dict) -> int:
    """The writer's number (1-30 in pendigits), from the UNIPEN comment: digit, writer, ..."""
    return int(sample["comment"][1])


def stroke_points(sample: dict) -> tuple[list[np.ndarray], np.ndarray]:
    """The sample's pen-down strokes as float (x, y) arrays, and all their points together."""
    strokes = [np.asarray(s, np.float64).reshape(-1, 2) for s in sample["strokes"]]
    return strokes, np.concatenate(strokes)


def distorted(sample: dict, rng: np.random.Generator, rotate_deg: float = 15, shear: float = 0.35,
              stretch: float = 0.2, nudge: float = 0.04) -> dict:
    """The sample as another writer might draw it: rotated, slanted, stretched, and each
    pen-down stroke moved a little against the others (where the bar of a 4, 5 or 7 lands).

    nudge is the spread of those moves, as a fraction of the digit's larger side.
    """
    strokes, pts = stroke_points(sample)
    centre, side = pts.mean(0), max(np.ptp(pts, 0).max(), 1e-6)
    m = affine_matrix(rng.uniform(-rotate_deg, rotate_deg), rng.uniform(-shear, shear),
                      rng.uniform(-stretch, stretch))
    moved = [(s - centre) @ m.T + centre + rng.normal(0, nudge * side, 2) for s in strokes]
    return {**sample, "strokes": [s.tolist() for s in moved]}


def replay(sample: dict, rng: np.random.Generator, canvas: int = 400,
           height: tuple[int, int] = (80, 320), pen: tuple[int, int] = (8, 30)) -> np.ndarray:
    """Draw one sample at a random height, position and pen width on a blank canvas."""
    placed, width = place_strokes(sample, rng, canvas, height, pen)
    paper = np.full((canvas, canvas), PAPER, np.uint8)
    return draw_strokes(paper, placed, width)


def place_strokes(sample: dict, rng: np.random.Generator, canvas: int = 400,
                  height: tuple[int, int] = (80, 320), pen: tuple[int, int] = (8, 30)):
    """(the sample's strokes at a random height and position on the canvas, y down; a random
    pen width): what replay draws, and what the pad would keep of such a drawing."""
    strokes, pts = stroke_points(sample)
    if sample.get("y_axis") == "up":
        strokes = [s * (1, -1) for s in strokes]
        pts = pts * (1, -1)
    lo, hi = pts.min(0), pts.max(0)
    width = int(rng.integers(pen[0], pen[1] + 1))
    target_h = rng.uniform(*height)
    scale = target_h / max(hi[1] - lo[1], 1e-6)
    # A wide, flat trace (a "1" drawn as a dash) must still fit on the canvas.
    scale = min(scale, (canvas - width - 4) / max(hi[0] - lo[0], 1e-6))
    size = (hi - lo) * scale
    low = width / 2 + 1
    origin = np.array([rng.uniform(low, max(low, canvas - size[k] - width / 2 - 1)) for k in (0, 1)])
    return [(s - lo) * scale + origin for s in strokes], width
