"""The drawing surface: strokes in, "dark ink on light paper" image out. No window here."""
from __future__ import annotations

import cv2
import numpy as np

PAPER = 255
INK = 0


def draw_strokes(image: np.ndarray, strokes, pen: int) -> np.ndarray:
    """Draw polylines (lists of (x, y)) with a round pen `pen` pixels wide, in place."""
    radius = max(1, round(pen / 2))
    for stroke in strokes:
        pts = [(int(round(x)), int(round(y))) for x, y in stroke]
        for p, q in zip(pts, pts[1:]):
            cv2.line(image, p, q, INK, 2 * radius, cv2.LINE_AA)
        for p in pts[:1] + pts[-1:]:  # round caps, and a dot for a single click
            cv2.circle(image, p, radius, INK, -1, cv2.LINE_AA)
    return image


class Canvas:
    """Strokes drawn so far, with undo; renders to a uint8 image."""

    def __init__(self, width: int = 480, height: int = 480, pen: int = 16):
        self.width, self.height, self.pen = width, height, pen
        self.strokes: list[list[tuple[int, int]]] = []
        self._drawing = False

    @property
    def is_empty(self) -> bool:
        return not self.strokes

    def begin(self, x: int, y: int) -> None:
        self.strokes.append([(x, y)])
        self._drawing = True

    def extend(self, x: int, y: int) -> None:
        if self._drawing and self.strokes[-1][-1] != (x, y):
            self.strokes[-1].append((x, y))

    def end(self) -> bool:
        """Finish the stroke in progress; True if one was in progress."""
        was, self._drawing = self._drawing, False
        return was

    def undo(self) -> None:
        if self.strokes:
            self.strokes.pop()
        self._drawing = False

    def clear(self) -> None:
        self.strokes.clear()
        self._drawing = False

    def image(self) -> np.ndarray:
        paper = np.full((self.height, self.width), PAPER, np.uint8)
        return draw_strokes(paper, self.strokes, self.pen)
