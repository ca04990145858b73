"""The pad window: drawing and key mapping over a pad session (drawpad.session).
`Pad` maps mouse and keys to the session, prints its events and draws its state,
testable without a display; `run_pad` is the thin OpenCV loop around it."""
from __future__ import annotations

import ctypes
import os
import sys
import textwrap
import threading
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from drawpad.conversion import print_notice
from drawpad.predictions import format_line
from drawpad.preprocess import warm_up
from drawpad.session import CANVAS_H, CANVAS_W, Character, Event, Session
from drawpad.text import draw_text, korean_font_path

TITLE = "drawpad"
PANEL = 320
HINT_H = 30
TEXT_H = 44
HINT = ("SPACE recognize  1-5 it was that guess  TAB more  ENTER add  BKSP delete  C clear  "
        "Z undo  L live  M model  P learn  B base  Q quit")
ENTER, BACKSPACE, TAB = (10, 13), (8, 127), 9
PICKS = {ord(str(n)): n for n in range(1, 6)}  # positions in the list shown, not digits: any model
FONT = cv2.FONT_HERSHEY_SIMPLEX
BG, FG, DIM, ACCENT = (40, 40, 40), (240, 240, 240), (150, 150, 150), (90, 180, 90)
BOX = (60, 150, 230)  # a character's box on the canvas, as the line was split


def hello(rec) -> str:
    if not all(label.isascii() for label in rec.labels) and korean_font_path() is None:
        return "no Korean font: labels as U+XXXX"
    return "draw a digit, then press SPACE" if len(rec.labels) <= 10 else "draw a syllable, then press SPACE"


class Pad:
    """The window over a Session. `recognizer` None: the model is still loading, and the
    screen says so (only `render` and `loaded` then). The other arguments are the
    session's. What the session does is printed on `out`: each reading (one character
    prints `prediction: ...`, several `line: ...` and then one such line each), the
    text, each sample kept, each model switched to; errors go to stderr."""

    def __init__(self, recognizer=None, top: int | None = None, out=sys.stdout,
                 other: Callable[[], object] | None = None, samples: Path | None = None):
        self.session = Session(top=top, samples=samples, other=other, width=CANVAS_W, height=CANVAS_H,
                               hello=hello)
        self.session.listen(self._show)
        self.out = out
        self.page = 0  # which guesses of the character under the mouse are shown (TAB)
        self.mouse_x = 0
        self.dirty = True  # the screen needs drawing again (run_pad draws only then)
        self.learner = None  # drawpad.learner.Learner: learning the user's hand in the background
        if recognizer is not None:
            self.loaded(recognizer)

    def loaded(self, recognizer) -> None:
        self.session.loaded(recognizer)

    def _show(self, event: Event) -> None:
        self.dirty = True
        if event.kind == "reading":
            self.page = 0
            chars = self.line
            if not chars:
                print(event.text, file=self.out, flush=True)
            if len(chars) > 1:
                print(f"line: {event.text}", file=self.out, flush=True)
            for char in chars:
                print(f"prediction: {format_line(char.guesses(self.top))}", file=self.out, flush=True)
            if event.data.get("readings"):
                print("readings: " + " | ".join(f"{r['text']} {r['score']:.2f}" for r in event.data["readings"]),
                      file=self.out, flush=True)
        elif event.kind in ("text", "sample", "model", "learning"):
            print(f"{event.kind}: {event.text}", file=self.out, flush=True)
        elif event.kind == "error":
            print(f"error: {event.text}", file=sys.stderr, flush=True)

    # the session's state, as the screen and the tests see it
    rec = property(lambda self: self.session.rec, lambda self, rec: self.session.use_model(rec))
    samples = property(lambda self: self.session.samples, lambda self, folder: self.session.keep_samples_in(folder))
    other = property(lambda self: self.session.other, lambda self, other: setattr(self.session, "other", other))
    canvas = property(lambda self: self.session.canvas)
    line = property(lambda self: self.session.characters)
    text = property(lambda self: self.session.text)
    message = property(lambda self: self.session.message)
    live = property(lambda self: self.session.live)
    top = property(lambda self: self.session.top)

    def reading(self) -> str:
        return self.session.reading

    # -- input -------------------------------------------------------------
    @property
    def predictions(self) -> list:
        """The guesses shown for a single character (the panel's bars); [] for a line of several."""
        return self.shown(self.line[0]) if len(self.line) == 1 else []

    def shown(self, char: Character) -> list:
        """The guesses of `char` on screen: its page of them if it has the focus, else its best."""
        return char.guesses(self.top, self.page * self.top if char is self.focus else 0)

    @property
    def focus(self) -> Character | None:
        """The character that keys 1-5 and TAB act on: the one under the mouse (a lone one
        wherever it is); None in a line of several where the mouse is over none of them: keys
        1-5 then pick a reading of the whole line."""
        if len(self.line) <= 1:
            return self.line[0] if self.line else None
        # near a box counts as over it (a pen's width, a quarter of a character): a gap is wider
        heights = sorted(c.piece.box.y1 - c.piece.box.y0 for c in self.line)
        near = max(self.session.canvas.pen, heights[len(heights) // 2] / 4)
        nearest = min(self.line, key=lambda c: self._distance(c))
        return nearest if self._distance(nearest) <= near else None

    def _distance(self, char: Character) -> int:
        box = char.piece.box
        return max(box.x0 - self.mouse_x, self.mouse_x - (box.x1 - 1), 0)

    def on_mouse(self, event, x, y, flags, _param=None) -> None:
        x = min(max(x, 0), CANVAS_W - 1)
        before, self.mouse_x = self.focus, x
        if self.focus is not before:
            self.page, self.dirty = 0, True  # the focus moved to another character
        if event == cv2.EVENT_LBUTTONDOWN:
            self.session.begin_stroke(x, y)
        elif event == cv2.EVENT_MOUSEMOVE and flags & cv2.EVENT_FLAG_LBUTTON:
            self.session.extend_stroke(x, y)
        elif event == cv2.EVENT_LBUTTONUP:
            self.session.end_stroke()
        else:
            return  # hovering changes nothing on screen
        self.dirty = True

    def on_key(self, key: int) -> bool:
        """Handle one key; False means quit."""
        with self.session.lock:  # a personal model may be swapped in from the learner's thread
            return self._on_key(key)

    def _on_key(self, key: int) -> bool:
        self.dirty = True
        session = self.session
        if key in (ord("q"), ord("Q"), 27):
            return False
        if key == ord(" "):
            session.recognize()
        elif key in (ord("c"), ord("C")):
            session.clear()
        elif key in (ord("z"), ord("Z")):
            session.undo()
        elif key in (ord("l"), ord("L")):
            session.set_live(not session.live)
        elif key in (ord("m"), ord("M")):
            session.switch_model()
        elif key in (ord("p"), ord("P"), ord("b"), ord("B")) and not self.learner:
            session.say("learning is off: no samples are kept (--no-save)")
        elif key in (ord("p"), ord("P")):
            self.learner.learn()
        elif key in (ord("b"), ord("B")):
            self.learner.back_to_base()
        elif key in PICKS:
            self.pick(PICKS[key])
        elif key == TAB:
            self.more_guesses()
        elif key in ENTER:
            session.add_reading()
        elif key in BACKSPACE:
            session.backspace()
        return True

    def print_text(self) -> None:
        print(f"text: {self.text}", file=self.out, flush=True)

    def more_guesses(self) -> None:
        """TAB: the next page of guesses for the character under the mouse (then the first again)."""
        char = self.focus
        if char is None:
            self.session.say("point at a character for more of its guesses" if self.line else "draw something first")
            return
        self.page = self.page + 1 if (self.page + 1) * self.top < len(self.rec.labels) else 0
        first = self.page * self.top + 1
        self.session.say(f"guesses {first}-{first + len(self.shown(char)) - 1}: 1-5 picks one")

    def pick(self, n: int) -> None:
        """Keys 1-5: the character under the mouse is the n-th guess shown, kept as a sample;
        with the mouse over none of a line's characters, the line is its n-th reading."""
        char = self.focus
        if char is None and self.session.readings:
            self.session.pick_reading(n - 1)
            return
        if char is None:
            self.session.say("draw something first")
            return
        shown = len(self.shown(char))
        if n > shown:
            self.session.say(f"only {shown} guesses are shown")
            return
        rank, self.page = self.page * self.top + n - 1, 0
        self.session.pick(self.line.index(char), rank)

    # -- screen ------------------------------------------------------------
    def render(self) -> np.ndarray:
        with self.session.lock:  # the line read whole, not while the learner's thread swaps the model
            return self._render()

    def _render(self) -> np.ndarray:
        board = cv2.cvtColor(self.canvas.image(), cv2.COLOR_GRAY2BGR)
        if len(self.line) > 1:  # how the line was split
            for char in self.line:
                box = char.piece.box
                cv2.rectangle(board, (box.x0, box.y0), (box.x1 - 1, box.y1 - 1), BOX,
                              3 if char is self.focus else 1)
        panel = np.full((CANVAS_H, PANEL, 3), BG, np.uint8)
        y = 40
        header = "loading the model..." if self.rec is None else f"top {self.top}"
        if self.session.sample_count is not None:
            header += f", {self.session.sample_count} kept"
        cv2.putText(panel, header + ("  (live)" if self.live else ""), (16, y),
                    FONT, 0.7, DIM, 1, cv2.LINE_AA)
        if self.session.learning:
            cv2.putText(panel, "learning your hand...", (16, y + 22), FONT, 0.5, ACCENT, 1, cv2.LINE_AA)
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
        """A line of several characters: its reading, the line's best readings (keys 1-5 with the
        mouse off the characters), then each character's top guesses."""
        draw_text(panel, self.reading()[:12], (14, 56), 40)
        chosen = self.session.chosen_reading
        readings = "  ".join(f"{'>' if k == chosen else ''}{k + 1} {r.text}"
                             for k, r in enumerate(self.session.readings))
        draw_text(panel, readings[:40], (8, 98), 16, ACCENT)
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


def run_pad(load: Callable[[], object], top: int | None = None, other=None, samples: Path | None = None,
            learn: Callable[[Session], object] | None = None) -> int:
    """Open the window and run until Q, ESC or the window is closed; print the composed text.
    `learn(session)`, once the model is ready, gives the Learner that learns the user's hand
    in the background (None: no learning).

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
            pad.session.say(message)
            cv2.imshow(TITLE, pad.render())
            cv2.waitKey(1)

        rec = load(notice=show)
        # Mouse events queued while loading arrive thinned out and would draw a wrong
        # shape: they are dropped (no callback yet); the last key pressed is kept.
        key = cv2.waitKey(1)
        cv2.setMouseCallback(TITLE, pad.on_mouse)
        print(f"drawpad ready: {rec.source} ({len(rec.labels)} labels)", flush=True)
        pad.loaded(rec)
        if learn is not None and pad.session.store is not None:
            pad.learner = learn(pad.session)
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
        if pad.learner:
            pad.learner.close()
        cv2.destroyAllWindows()
        if pad.text:
            pad.print_text()
    return 0
