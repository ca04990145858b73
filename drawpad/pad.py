"""The pad window. `Pad` is the state, keys and drawing of the screen, testable
without a display; `run_pad` is the thin OpenCV loop around it."""
from __future__ import annotations

import ctypes
import os
import sys
import textwrap
import threading
from typing import Callable

import cv2
import numpy as np

from drawpad.canvas import Canvas
from drawpad.conversion import print_notice
from drawpad.errors import DrawpadError, ImageError
from drawpad.preprocess import warm_up
from drawpad.recognizer import format_line
from drawpad.segment import split_strokes
from drawpad.text import draw_text, korean_font_path

TITLE = "drawpad"
# Wide enough for a line of characters, low enough for a laptop screen with the panel beside it.
CANVAS_W, CANVAS_H = 960, 400
PANEL = 320
HINT_H = 30
TEXT_H = 44
HINT = "SPACE recognize  ENTER add  BKSP delete  C clear  Z undo  L live  M model  Q quit"
ENTER, BACKSPACE = (10, 13), (8, 127)
FONT = cv2.FONT_HERSHEY_SIMPLEX
BG, FG, DIM, ACCENT = (40, 40, 40), (240, 240, 240), (150, 150, 150), (90, 180, 90)
BOX = (60, 150, 230)  # a character's box on the canvas, as the line was split


class Pad:
    """`recognizer` None: the model is still loading, and the screen says so (only
    `render` and `loaded` then). `other` loads the model M switches to (on first use,
    so start-up stays fast). `top` None shows 3 guesses for digits, 5 for bigger label
    sets such as Hangul."""

    def __init__(self, recognizer=None, top: int | None = None, out=sys.stdout,
                 other: Callable[[], object] | None = None):
        self.rec = recognizer
        self.fixed_top = top
        self.out = out
        self.other = other
        self.canvas = Canvas(CANVAS_W, CANVAS_H)
        self.live = False
        self.line = []  # (segment.Piece, predictions) per character of the last reading, left to right
        self.text = ""  # composed with ENTER and BACKSPACE
        self.message = self._hello() if recognizer else ""
        self.dirty = True  # the screen needs drawing again (run_pad draws only then)

    @property
    def top(self) -> int:
        return self.fixed_top or (self.rec.default_top if self.rec else 3)

    def loaded(self, recognizer) -> None:
        self.rec = recognizer
        self.message, self.dirty = self._hello(), True

    def _hello(self) -> str:
        if not all(label.isascii() for label in self.rec.labels) and korean_font_path() is None:
            return "no Korean font: labels as U+XXXX"
        return "draw a digit, then press SPACE" if len(self.rec.labels) <= 10 else \
            "draw a syllable, then press SPACE"

    # -- input -------------------------------------------------------------
    @property
    def predictions(self) -> list:
        """The guesses for a single character (the panel's bars); [] for a line of several."""
        return self.line[0][1] if len(self.line) == 1 else []

    def on_mouse(self, event, x, y, flags, _param=None) -> None:
        x, y = min(max(x, 0), CANVAS_W - 1), min(max(y, 0), CANVAS_H - 1)
        if event == cv2.EVENT_LBUTTONDOWN:
            self.canvas.begin(x, y)
        elif event == cv2.EVENT_MOUSEMOVE and flags & cv2.EVENT_FLAG_LBUTTON:
            self.canvas.extend(x, y)
        elif event == cv2.EVENT_LBUTTONUP and self.canvas.end() and self.live:
            self.recognize()
        else:
            return  # hovering changes nothing on screen
        self.dirty = True

    def on_key(self, key: int) -> bool:
        """Handle one key; False means quit."""
        self.dirty = True
        if key in (ord("q"), ord("Q"), 27):
            return False
        if key == ord(" "):
            self.recognize()
        elif key in (ord("c"), ord("C")):
            self.canvas.clear()
            self.line, self.message = [], "cleared"
        elif key in (ord("z"), ord("Z")):
            self.canvas.undo()
            self.line = []
            self.message = "undone" if not self.live or self.canvas.is_empty else self.message
            if self.live and not self.canvas.is_empty:
                self.recognize()
        elif key in (ord("l"), ord("L")):
            self.live = not self.live
            self.message = f"live mode {'on' if self.live else 'off'}"
        elif key in (ord("m"), ord("M")):
            self.switch_model()
        elif key in ENTER:
            self.add_guess()
        elif key in BACKSPACE and self.text:
            self.text = self.text[:-1]
            self.print_text()
        return True

    def print_text(self) -> None:
        # every change, not only the last text on exit: a terminal keeps what was composed
        print(f"text: {self.text}", file=self.out, flush=True)

    def switch_model(self) -> None:
        if self.other is None:
            self.message = "no other model to switch to"
            return
        previous = self.rec
        try:
            self.rec = self.other()
        except DrawpadError as e:
            self.message = str(e)[:60]
            print(f"error: {e}", file=sys.stderr, flush=True)
            return
        self.other = lambda: previous  # M again switches back, without reloading
        self.line, self.message = [], self._hello()
        print(f"model: {self.rec.source} ({len(self.rec.labels)} labels)", file=self.out, flush=True)
        if not self.canvas.is_empty:
            self.recognize()

    def reading(self) -> str:
        return "".join(preds[0].label for _, preds in self.line)

    def add_guess(self) -> None:
        """Append the line's top guesses to the text and start afresh on a clean canvas."""
        if not self.line:
            self.recognize()
        if self.line:
            added = self.reading()
            self.text += added
            self.canvas.clear()
            self.line, self.message = [], f"added {added}"
            self.print_text()

    def recognize(self) -> None:
        """Read the canvas as a line, split by its strokes (drawpad.segment); one character
        prints `prediction: ...`, several `line: ...` and then one such line each."""
        if self.canvas.is_empty:
            self.line, self.message = [], "draw something first"
        else:
            try:
                pieces = split_strokes(self.canvas.strokes, self.canvas.pen, self.rec.square_script)
                self.line = self.rec.recognize_characters(pieces, top=self.top)
                self.message = ""
            except ImageError as e:
                self.line, self.message = [], str(e)
        if not self.line:
            print(self.message, file=self.out, flush=True)
            return
        if len(self.line) > 1:
            print(f"line: {self.reading()}", file=self.out, flush=True)
        for _, preds in self.line:
            print(f"prediction: {format_line(preds)}", file=self.out, flush=True)

    # -- screen ------------------------------------------------------------
    def render(self) -> np.ndarray:
        board = cv2.cvtColor(self.canvas.image(), cv2.COLOR_GRAY2BGR)
        if len(self.line) > 1:  # how the line was split
            for piece, _ in self.line:
                box = piece.box
                cv2.rectangle(board, (box.x0, box.y0), (box.x1 - 1, box.y1 - 1), BOX, 2)
        panel = np.full((CANVAS_H, PANEL, 3), BG, np.uint8)
        y = 40
        header = "loading the model..." if self.rec is None else f"top {self.top}"
        cv2.putText(panel, header + ("  (live)" if self.live else ""), (16, y),
                    FONT, 0.7, DIM, 1, cv2.LINE_AA)
        if len(self.line) > 1:
            self._render_line(panel)
        for p in self.predictions:
            y += 60 if self.top <= 3 else 70
            draw_text(panel, p.label, (14, y - 36), 40)  # Hangul too (OpenCV alone cannot)
            bar = int(round(p.probability * (PANEL - 150)))
            cv2.rectangle(panel, (70, y - 26), (70 + PANEL - 150, y - 4), (70, 70, 70), -1)
            cv2.rectangle(panel, (70, y - 26), (70 + bar, y - 4), ACCENT, -1)
            cv2.putText(panel, f"{p.probability * 100:5.1f}%", (PANEL - 74, y - 8), FONT, 0.5,
                        FG, 1, cv2.LINE_AA)
        lines = textwrap.wrap(self.message, 36)[:3]  # a conversion notice is long
        for k, part in enumerate(lines):
            draw_text(panel, part, (16, CANVAS_H - 36 - 24 * (len(lines) - 1 - k)), 18)
        line = np.full((TEXT_H, CANVAS_W + PANEL, 3), (55, 55, 55), np.uint8)
        draw_text(line, "text: ", (10, 12), 20, DIM)
        draw_text(line, self.text[-70:] + "_", (70, 6), 30)
        hint = np.full((HINT_H, CANVAS_W + PANEL, 3), (25, 25, 25), np.uint8)
        cv2.putText(hint, HINT, (10, 20), FONT, 0.45, DIM, 1, cv2.LINE_AA)
        return np.vstack([np.hstack([board, panel]), line, hint])

    def _render_line(self, panel: np.ndarray) -> None:
        """A line of several characters: its reading, then each character's top guesses."""
        draw_text(panel, self.reading()[:12], (14, 56), 40)
        for k, (_, preds) in enumerate(self.line[:8]):
            guesses = " | ".join(f"{p.label} {p.probability * 100:.0f}%" for p in preds[:3])
            draw_text(panel, f"{k + 1}: {guesses}", (16, 120 + 28 * k), 18)


def missing_display() -> str | None:
    """Why no window can open here, or None if it can (or this cannot tell).

    On Linux, opencv-python's Qt aborts the whole process, with no exception to
    catch, when there is no X display to connect to: Colab, SSH without -X, a
    container. So the pad asks X itself first (libxcb, which Qt uses too)."""
    if not sys.platform.startswith("linux"):
        return None
    display = os.environ.get("DISPLAY")
    if not display:
        return None if os.environ.get("WAYLAND_DISPLAY") else \
            "no display to open a window on (DISPLAY is not set: Colab, SSH without -X?)"
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)  # never NULL; errors are flagged
    failed = xcb.xcb_connection_has_error(connection)
    xcb.xcb_disconnect(connection)
    return f"cannot connect to the display {display}" if failed else None


def run_pad(load: Callable[[], object], top: int | None = None, other=None) -> int:
    """Open the window and run until Q, ESC or the window is closed; print the composed text.

    The window comes up first, saying that the model is loading (`load(notice)`: a
    first conversion to ONNX takes seconds, and says so through `notice`), so the
    command is seen to work at once. A DrawpadError from `load()` closes the window
    and goes to the caller."""
    pad = Pad(None, top=top, other=other)
    problem = missing_display()
    if not problem:
        try:
            # GUI_NORMAL: no Qt toolbar, so window coordinates are canvas pixels.
            cv2.namedWindow(TITLE, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        except cv2.error as e:
            problem = f"cannot open a window ({str(e).strip().splitlines()[-1]})"
    if problem:
        print(f"error: {problem}; use --image FILE for headless recognition", file=sys.stderr)
        return 2
    try:
        cv2.imshow(TITLE, pad.render())
        cv2.waitKey(1)
        print("drawpad window open, loading the model", flush=True)
        # The first recognition's import (scikit-image, 0.7 s) meanwhile, not after SPACE.
        threading.Thread(target=warm_up, daemon=True).start()

        def show(message: str) -> None:  # what loading is doing (a first conversion), on screen too
            print_notice(message)
            pad.message = message
            cv2.imshow(TITLE, pad.render())
            cv2.waitKey(1)

        rec = load(notice=show)
        # Mouse events queued while loading arrive thinned out and would draw a wrong
        # shape: they are dropped (no callback yet); the last key pressed is kept.
        key = cv2.waitKey(1)
        cv2.setMouseCallback(TITLE, pad.on_mouse)
        print(f"drawpad ready: {rec.source} ({len(rec.labels)} labels)", flush=True)
        pad.loaded(rec)
        while True:
            if key != -1 and not pad.on_key(key & 0xFF):
                break
            # closed (also while loading): imshow would open it again
            if cv2.getWindowProperty(TITLE, cv2.WND_PROP_VISIBLE) < 1:
                break
            if pad.dirty:  # an idle pad costs no CPU
                cv2.imshow(TITLE, pad.render())
                pad.dirty = False
            key = cv2.waitKey(15)
    finally:
        cv2.destroyAllWindows()
        if pad.text:
            pad.print_text()
    return 0
