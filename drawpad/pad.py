"""The pad window. `Pad` is the state, keys and drawing of the screen, testable
without a display; `run_pad` is the thin OpenCV loop around it."""
from __future__ import annotations

import sys

import cv2
import numpy as np

from drawpad.canvas import Canvas
from drawpad.cli import format_line
from drawpad.errors import ImageError

TITLE = "drawpad"
CANVAS = 480
PANEL = 320
HINT_H = 30
HINT = "SPACE recognize  C clear  Z undo  L live  Q quit"
FONT = cv2.FONT_HERSHEY_SIMPLEX
BG, FG, DIM, ACCENT = (40, 40, 40), (240, 240, 240), (150, 150, 150), (90, 180, 90)


class Pad:
    def __init__(self, recognizer, top: int = 3, out=sys.stdout):
        self.rec = recognizer
        self.top = top
        self.out = out
        self.canvas = Canvas(CANVAS, CANVAS)
        self.live = False
        self.predictions = []
        self.message = "draw a digit, then press SPACE"

    # -- input -------------------------------------------------------------
    def on_mouse(self, event, x, y, flags, _param=None) -> None:
        x, y = min(max(x, 0), CANVAS - 1), min(max(y, 0), CANVAS - 1)
        if event == cv2.EVENT_LBUTTONDOWN:
            self.canvas.begin(x, y)
        elif event == cv2.EVENT_MOUSEMOVE and flags & cv2.EVENT_FLAG_LBUTTON:
            self.canvas.extend(x, y)
        elif event == cv2.EVENT_LBUTTONUP and self.canvas.end() and self.live:
            self.recognize()

    def on_key(self, key: int) -> bool:
        """Handle one key; False means quit."""
        if key in (ord("q"), ord("Q"), 27):
            return False
        if key == ord(" "):
            self.recognize()
        elif key in (ord("c"), ord("C")):
            self.canvas.clear()
            self.predictions, self.message = [], "cleared"
        elif key in (ord("z"), ord("Z")):
            self.canvas.undo()
            self.predictions = []
            self.message = "undone" if not self.live or self.canvas.is_empty else self.message
            if self.live and not self.canvas.is_empty:
                self.recognize()
        elif key in (ord("l"), ord("L")):
            self.live = not self.live
            self.message = f"live mode {'on' if self.live else 'off'}"
        return True

    def recognize(self) -> None:
        if self.canvas.is_empty:
            self.predictions, self.message = [], "draw something first"
        else:
            try:
                self.predictions = self.rec.recognize(self.canvas.image(), top=self.top)
                self.message = ""
            except ImageError as e:
                self.predictions, self.message = [], str(e)
        line = f"prediction: {format_line(self.predictions)}" if self.predictions else self.message
        print(line, file=self.out, flush=True)

    # -- screen ------------------------------------------------------------
    def render(self) -> np.ndarray:
        board = cv2.cvtColor(self.canvas.image(), cv2.COLOR_GRAY2BGR)
        panel = np.full((CANVAS, PANEL, 3), BG, np.uint8)
        y = 40
        cv2.putText(panel, f"top {self.top}" + ("  (live)" if self.live else ""), (16, y),
                    FONT, 0.7, DIM, 1, cv2.LINE_AA)
        for p in self.predictions:
            y += 60
            cv2.putText(panel, p.label, (16, y), FONT, 1.3, FG, 2, cv2.LINE_AA)
            bar = int(round(p.probability * (PANEL - 150)))
            cv2.rectangle(panel, (70, y - 26), (70 + PANEL - 150, y - 4), (70, 70, 70), -1)
            cv2.rectangle(panel, (70, y - 26), (70 + bar, y - 4), ACCENT, -1)
            cv2.putText(panel, f"{p.probability * 100:5.1f}%", (PANEL - 74, y - 8), FONT, 0.5,
                        FG, 1, cv2.LINE_AA)
        if self.message:
            cv2.putText(panel, self.message[:34], (16, CANVAS - 20), FONT, 0.5, FG, 1, cv2.LINE_AA)
        hint = np.full((HINT_H, CANVAS + PANEL, 3), (25, 25, 25), np.uint8)
        cv2.putText(hint, HINT, (10, 20), FONT, 0.5, DIM, 1, cv2.LINE_AA)
        return np.vstack([np.hstack([board, panel]), hint])


def run_pad(recognizer, top: int = 3) -> int:
    """Open the window and run until Q, ESC or the window is closed."""
    pad = Pad(recognizer, top=top)
    try:
        # GUI_NORMAL: no Qt toolbar, so window coordinates are canvas pixels.
        cv2.namedWindow(TITLE, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
    except cv2.error as e:
        print(f"error: cannot open a window ({str(e).strip().splitlines()[-1]}); "
              "use --image FILE for headless recognition", file=sys.stderr)
        return 2
    cv2.setMouseCallback(TITLE, pad.on_mouse)
    ready = False
    try:
        while True:
            cv2.imshow(TITLE, pad.render())
            key = cv2.waitKey(15)
            if not ready:  # the first frame is on screen
                print(f"drawpad ready: {recognizer.source} ({len(recognizer.labels)} labels)",
                      flush=True)
                ready = True
            if key != -1 and not pad.on_key(key & 0xFF):
                break
            if cv2.getWindowProperty(TITLE, cv2.WND_PROP_VISIBLE) < 1:
                break
    finally:
        cv2.destroyAllWindows()
    return 0
