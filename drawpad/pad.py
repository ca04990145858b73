"""The pad window. `Pad` is the state, keys and drawing of the screen, testable
without a display; `run_pad` is the thin OpenCV loop around it."""
from __future__ import annotations

import ctypes
import os
import sys
import textwrap
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from drawpad.canvas import Canvas
from drawpad.conversion import print_notice
from drawpad.errors import DrawpadError, ImageError
from drawpad.preprocess import warm_up
from drawpad.predictions import format_line
from drawpad.samples import SampleStore
from drawpad.reading import read_strokes
from drawpad.segment import Piece
from drawpad.text import draw_text, korean_font_path

TITLE = "drawpad"
# Wide enough for a line of characters, low enough for a laptop screen with the panel beside it.
CANVAS_W, CANVAS_H = 960, 400
PANEL = 320
HINT_H = 30
TEXT_H = 44
HINT = ("SPACE recognize  1-5 it was that guess  TAB more guesses  ENTER add  BKSP delete  C clear  "
        "Z undo  L live  M model  Q quit")
ENTER, BACKSPACE, TAB = (10, 13), (8, 127), 9
PICKS = {ord(str(n)): n for n in range(1, 6)}  # positions in the list shown, not digits: any model
FONT = cv2.FONT_HERSHEY_SIMPLEX
BG, FG, DIM, ACCENT = (40, 40, 40), (240, 240, 240), (150, 150, 150), (90, 180, 90)
BOX = (60, 150, 230)  # a character's box on the canvas, as the line was split


@dataclass
class Character:
    """One character of the pad's last reading: its piece of the line, its guesses (best
    first, as many as have been shown), and the label the user picked or confirmed."""

    piece: Piece
    guesses: list
    chosen: str | None = None

    @property
    def label(self) -> str:
        return self.chosen or self.guesses[0].label


class Pad:
    """`recognizer` None: the model is still loading, and the screen says so (only
    `render` and `loaded` then). `other` loads the model M switches to (on first use,
    so start-up stays fast). `top` None shows 3 guesses for digits, 5 for bigger label
    sets such as Hangul. Confirmed and corrected drawings are kept under `samples`
    (drawpad.samples; None keeps nothing)."""

    def __init__(self, recognizer=None, top: int | None = None, out=sys.stdout,
                 other: Callable[[], object] | None = None, samples: Path | None = None):
        self.rec = recognizer
        self.fixed_top = top
        self.out = out
        self.other = other
        self.samples = samples
        self.canvas = Canvas(CANVAS_W, CANVAS_H)
        self.live = False
        self.line: list[Character] = []  # the last reading, left to right
        self.page = 0  # which guesses of the character under the mouse are shown (TAB)
        self.mouse_x = 0
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
        """The guesses shown for a single character (the panel's bars); [] for a line of several."""
        return self.shown(self.line[0]) if len(self.line) == 1 else []

    def shown(self, char: Character) -> list:
        """The guesses of `char` on screen: its page of them if it has the focus, else its best."""
        start = self.page * self.top if char is self.focus else 0
        return char.guesses[start:start + self.top]

    @property
    def focus(self) -> Character | None:
        """The character that keys 1-5 and TAB act on: the one under the mouse."""
        if not self.line:
            return None
        return min(self.line, key=lambda c: 0 if c.piece.box.x0 <= self.mouse_x < c.piece.box.x1
                   else min(abs(self.mouse_x - c.piece.box.x0), abs(self.mouse_x - c.piece.box.x1)))

    @property
    def store(self) -> SampleStore | None:
        if self.samples is None or self.rec is None:
            return None
        return SampleStore(self.samples, self.rec.card.get("name") or Path(self.rec.source).stem)

    def on_mouse(self, event, x, y, flags, _param=None) -> None:
        x, y = min(max(x, 0), CANVAS_W - 1), min(max(y, 0), CANVAS_H - 1)
        before, self.mouse_x = self.focus, x
        if self.focus is not before:
            self.page, self.dirty = 0, True  # the focus moved to another character
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
        elif key in PICKS:
            self.pick(PICKS[key])
        elif key == TAB:
            self.more_guesses()
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
        return "".join(c.label for c in self.line)

    def more_guesses(self) -> None:
        """TAB: the next page of guesses for the character under the mouse (then the first again)."""
        char = self.focus
        if char is None:
            self.message = "draw something first"
            return
        self.page = self.page + 1 if (self.page + 1) * self.top < len(self.rec.labels) else 0
        self._guesses_for(char, (self.page + 1) * self.top)
        first = self.page * self.top + 1
        self.message = f"guesses {first}-{first + len(self.shown(char)) - 1}: 1-5 picks one"

    def _guesses_for(self, char: Character, n: int) -> None:
        if len(char.guesses) < n:
            char.guesses = self.rec.recognize(char.piece.image, top=min(n, len(self.rec.labels)))

    def pick(self, n: int) -> None:
        """Keys 1-5: the character under the mouse is the n-th guess shown; kept as a sample."""
        char = self.focus
        if char is None:
            self.message = "draw something first"
            return
        shown = self.shown(char)
        if n > len(shown):
            self.message = f"only {len(shown)} guesses are shown"
            return
        char.chosen = shown[n - 1].label
        self.page = 0
        self.keep(char)

    def keep(self, char: Character) -> None:
        """Save a confirmed or corrected character as a sample of its label."""
        store = self.store
        if store is None:
            self.message = f"it is {char.label}"
            return
        path = store.save(char.label, char.piece.image, char.piece.strokes, self.canvas.pen)
        n = store.count()
        self.message = f"kept {char.label}: {n} sample{'s' * (n != 1)} of {store.folder.name}"
        print(f"sample: {char.label} {path}", file=self.out, flush=True)

    def add_guess(self) -> None:
        """Append the line's reading to the text (each character confirmed as it reads, and
        kept as a sample unless already picked) and start afresh on a clean canvas."""
        if not self.line:
            self.recognize()
        if self.line:
            for char in self.line:
                if char.chosen is None:
                    char.chosen = char.label
                    self.keep(char)
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
                line = read_strokes(self.rec, self.canvas.strokes, self.canvas.pen, (CANVAS_W, CANVAS_H))
                self.line = [Character(c.piece, c.guesses(self.top)) for c in line.characters()]
                self.page, self.message = 0, ""
            except ImageError as e:
                self.line, self.message = [], str(e)
        if not self.line:
            print(self.message, file=self.out, flush=True)
            return
        if len(self.line) > 1:
            print(f"line: {self.reading()}", file=self.out, flush=True)
        for char in self.line:
            print(f"prediction: {format_line(char.guesses)}", file=self.out, flush=True)

    # -- screen ------------------------------------------------------------
    def render(self) -> np.ndarray:
        board = cv2.cvtColor(self.canvas.image(), cv2.COLOR_GRAY2BGR)
        if len(self.line) > 1:  # how the line was split
            for char in self.line:
                box = char.piece.box
                cv2.rectangle(board, (box.x0, box.y0), (box.x1 - 1, box.y1 - 1), BOX,
                              3 if char is self.focus else 1)
        panel = np.full((CANVAS_H, PANEL, 3), BG, np.uint8)
        y = 40
        header = "loading the model..." if self.rec is None else f"top {self.top}"
        if self.store is not None:
            header += f", {self.store.count()} kept"
        cv2.putText(panel, header + ("  (live)" if self.live else ""), (16, y),
                    FONT, 0.7, DIM, 1, cv2.LINE_AA)
        if len(self.line) > 1:
            self._render_line(panel)
        for n, p in enumerate(self.predictions, 1):
            y += 60 if self.top <= 3 else 70
            cv2.putText(panel, str(n), (4, y - 10), FONT, 0.4, DIM, 1, cv2.LINE_AA)  # the key that picks it
            draw_text(panel, p.label, (16, y - 36), 40)  # Hangul too (OpenCV alone cannot)
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
        for k, char in enumerate(self.line[:8]):
            guesses = " | ".join(f"{p.label} {p.probability * 100:.0f}%" for p in self.shown(char)[:5])
            mark = ">" if char is self.focus else " "
            draw_text(panel, f"{mark}{k + 1}: {guesses}", (8, 120 + 28 * k), 18)


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


def run_pad(load: Callable[[], object], top: int | None = None, other=None, samples: Path | None = None) -> int:
    """Open the window and run until Q, ESC or the window is closed; print the composed text.

    The window comes up first, saying that the model is loading (`load(notice)`: a
    first conversion to ONNX takes seconds, and says so through `notice`), so the
    command is seen to work at once. A DrawpadError from `load()` closes the window
    and goes to the caller."""
    pad = Pad(None, top=top, other=other, samples=samples)
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
