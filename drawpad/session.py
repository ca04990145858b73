"""A pad session: the state and actions of a drawing pad, with no window.

The OpenCV window (drawpad.pad), the browser page and the notebook widget are front
ends over it: they turn their input (mouse, pointer, keys, buttons) into its methods
and show its state and events. It draws nothing, prints nothing and knows no keys.

    session = Session(rec, samples=folder)         # rec: a Recognizer (None while it loads)
    session.listen(lambda event: print(event.kind, event.text))
    session.add_stroke([(200, 60), (200, 340)])    # or begin_stroke, extend_stroke, end_stroke
    session.recognize()                            # event "reading"
    session.pick(0, 1)                             # character 0 is its 2nd guess: kept as a sample
    session.add_reading()                          # the reading goes to the text; a clean canvas
    session.state()                                # JSON-able: strokes, characters, text, message

Events (Event.kind, with a line for a person in Event.text and JSON-able Event.data):
"reading" (the line was read: data["characters"]; or why nothing was, in text),
"message" (a line for the screen), "error" (something failed, said in one line; the
session goes on), "text" (the composed text changed), "sample" (a drawing was kept),
"model" (another model recognizes from now on), "learning" (what learning in the
background is doing; text "" when it is done).

Samples: one per drawn character. A pick keeps the drawing under the label picked and
takes back what an earlier pick of the same drawing kept; add_reading keeps the other
characters under their best guess only if that reading was shown (recognize), never a
reading made and appended at once. Samples go to the folder of the model's base model
(drawpad.samples.model_key), so a personal model swapped in adds to the same samples.

Every method holds the session's lock, so a web server's threads or a background
learner may call it; listeners run inside that lock, in the calling thread.
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from drawpad.beam_search import Reading, line_readings, prior_for
from drawpad.canvas import Canvas
from drawpad.errors import DrawpadError, ImageError
from drawpad.predictions import Prediction
from drawpad.reading import LineReading, PieceReading, read_strokes
from drawpad.samples import SampleStore, model_key
from drawpad.segment import Piece

# Wide enough for a line of characters, low enough for a laptop screen with a panel beside it.
CANVAS_W, CANVAS_H = 960, 400
PEN = 16
READINGS = 5  # the best readings of a line of several characters kept, as keys 1-5 pick them


@dataclass(frozen=True)
class Event:
    """Something a front end shows: kind (see the module), a line of text, JSON-able data."""

    kind: str
    text: str
    data: dict = field(default_factory=dict)


class Character:
    """One character of the current reading: its piece of the line with its probabilities
    (`read`), the label the user picked or confirmed, and the sample kept of it."""

    def __init__(self, read: PieceReading):
        self.read = read
        self.chosen: str | None = None
        self.sample: Path | None = None  # the sample kept of this drawing...
        self.kept: str | None = None     # ...and its label

    @property
    def piece(self) -> Piece:
        return self.read.piece

    @property
    def label(self) -> str:
        return self.chosen or self.read.guesses(1)[0].label

    def guesses(self, count: int, start: int = 0) -> list[Prediction]:
        """Guesses start+1 to start+count, best first."""
        return self.read.guesses(count, start)

    def as_dict(self, top: int) -> dict:
        box = self.piece.box
        return {"box": [box.x0, box.y0, box.x1, box.y1], "label": self.label, "chosen": self.chosen is not None,
                "guesses": [{"label": p.label, "probability": round(p.probability, 6)} for p in self.guesses(top)]}


def _locked(method):
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)
    return run


class Session:
    """One person drawing on one model. `recognizer` None: the model is still loading
    (`loaded` gives it). `top` None: 3 guesses for digits, 5 for bigger label sets.
    `samples`: the folder kept drawings go to (drawpad.samples; None keeps nothing).
    `other` loads the model switch_model switches to (on first use, so start-up stays
    fast). The canvas is `width` x `height` with a pen `pen` pixels wide. `hello(recognizer)`:
    what the screen says when a model is ready (a front end names its own keys there)."""

    def __init__(self, recognizer=None, *, top: int | None = None, samples: str | Path | None = None,
                 other: Callable[[], object] | None = None, width: int = CANVAS_W, height: int = CANVAS_H,
                 pen: int = PEN, hello: Callable[[object], str] | None = None):
        self._lock = threading.RLock()
        self._listeners: list[Callable[[Event], None]] = []
        self.canvas = Canvas(width, height, pen)
        self.fixed_top = top
        self.other = other
        self.live = False        # read after every stroke
        self.text = ""           # composed with add_reading and backspace
        self.message = ""        # the last message or error, for the screen
        self.learning = ""       # what learning in the background is doing ("" when nothing)
        self.line: LineReading | None = None  # the current reading, with its segmentation's alternatives
        self.characters: list[Character] = []  # its characters, left to right
        self.readings: list[Reading] = []  # a line of several: its best readings (beam_search), best first
        self.chosen_reading: int | None = 0  # which of them is the reading; None: the characters' labels
        self.rec = None
        self.store: SampleStore | None = None
        self._samples = Path(samples) if samples is not None else None
        self.hello = hello or (lambda rec: "draw a digit" if len(rec.labels) <= 10 else "draw a syllable")
        if recognizer is not None:
            self.loaded(recognizer)

    @property
    def lock(self) -> threading.RLock:
        """Held by every method; a front end holds it to read several things at once (its screen)
        while another thread (a background learner) may change the model."""
        return self._lock

    # -- events ------------------------------------------------------------
    def listen(self, listener: Callable[[Event], None]) -> None:
        """Call `listener(event)` for every event from now on."""
        self._listeners.append(listener)

    def _emit(self, kind: str, text: str, data: dict | None = None) -> None:
        event = Event(kind, text, data or {})
        for listener in self._listeners:
            listener(event)

    @_locked
    def say(self, text: str) -> None:
        """Put a line on the screen (event "message")."""
        self.message = text
        self._emit("message", text)

    def _error(self, text: str) -> None:
        self.message = text
        self._emit("error", text)

    @_locked
    def error(self, text: str) -> None:
        """Say that something failed, in one line (event "error"); the session goes on."""
        self._error(text)

    @_locked
    def show_learning(self, status: str) -> None:
        """What learning in the background is doing ("" when it is done), for the screen."""
        self.learning = status
        self._emit("learning", status)

    # -- the model -----------------------------------------------------------
    @property
    def top(self) -> int:
        """How many guesses a character shows."""
        return self.fixed_top or (self.rec.default_top if self.rec else 3)

    @_locked
    def loaded(self, recognizer) -> None:
        """The first model has loaded (a front end is up while it loads)."""
        self.rec = recognizer
        self.say(self.hello(recognizer))
        self._open_store()

    @_locked
    def use_model(self, recognizer) -> None:
        """Recognize with `recognizer` from now on (the other model, a personal model learned
        in the background): event "model", and what is drawn is read again."""
        self.rec = recognizer
        self._forget()
        self._emit("model", f"{recognizer.source} ({len(recognizer.labels)} labels)",
                   {"source": str(recognizer.source), "labels": len(recognizer.labels)})
        self.say(self.hello(recognizer))
        self._open_store()
        if not self.canvas.is_empty:
            self.recognize()

    @_locked
    def switch_model(self) -> bool:
        """Use the `other` model; switching again comes back without reloading. False, with
        the reason on screen, if there is none or it cannot be loaded."""
        if self.other is None:
            self.say("no other model to switch to")
            return False
        previous = self.rec
        try:
            recognizer = self.other()
        except DrawpadError as e:
            self._error(str(e))
            return False
        self.other = lambda: previous
        self.use_model(recognizer)
        return True

    # -- samples -------------------------------------------------------------
    @property
    def samples(self) -> Path | None:
        """The folder of every model's samples (None: none are kept)."""
        return self._samples

    @_locked
    def keep_samples_in(self, folder: str | Path | None) -> None:
        """Keep drawings under `folder` from now on (None: keep none)."""
        self._samples = Path(folder) if folder is not None else None
        self._open_store()

    def _open_store(self) -> None:
        self.store = None
        if self._samples is None or self.rec is None:
            return
        try:
            self.store = SampleStore(self._samples, model_key(self.rec.card, self.rec.source))
        except DrawpadError as e:  # a model card's name such as "a/b"
            self._error(f"no samples kept for this model: {e}")

    @property
    def sample_count(self) -> int | None:
        """How many samples this model's folder has (counted once, then kept); None: none kept."""
        return self.store.count() if self.store is not None else None

    # -- strokes -------------------------------------------------------------
    def _clamp(self, x, y) -> tuple[int, int]:
        return min(max(int(round(x)), 0), self.canvas.width - 1), min(max(int(round(y)), 0), self.canvas.height - 1)

    @_locked
    def begin_stroke(self, x, y) -> None:
        """The pen goes down at (x, y) (clamped to the canvas): what was read is no longer what is drawn."""
        self._forget()
        self.canvas.begin(*self._clamp(x, y))

    @_locked
    def extend_stroke(self, x, y) -> None:
        self.canvas.extend(*self._clamp(x, y))

    @_locked
    def end_stroke(self) -> bool:
        """The pen goes up; in live mode the line is read. True if a stroke was in progress."""
        ended = self.canvas.end()
        if ended and self.live:
            self.recognize()
        return ended

    @_locked
    def add_stroke(self, points) -> None:
        """A whole stroke at once (a browser sends them so): a list of (x, y)."""
        points = list(points)
        if not points:
            return
        self.begin_stroke(*points[0])
        for x, y in points[1:]:
            self.extend_stroke(x, y)
        self.end_stroke()

    @_locked
    def undo(self) -> None:
        """Take back the last stroke; in live mode what is left is read again."""
        self.canvas.undo()
        self._forget()
        if self.live and not self.canvas.is_empty:
            self.recognize()
        else:
            self.say("undone")

    @_locked
    def clear(self) -> None:
        self.canvas.clear()
        self._forget()
        self.say("cleared")

    @_locked
    def set_live(self, on: bool) -> None:
        """Live mode: read the line after every stroke."""
        self.live = bool(on)
        self.say(f"live mode {'on' if self.live else 'off'}")

    def _forget(self) -> None:
        self.line, self.characters, self.readings, self.chosen_reading = None, [], [], 0

    # -- reading -------------------------------------------------------------
    @_locked
    def recognize(self) -> LineReading | None:
        """Read what is drawn as a line and show it (event "reading"); None, with the reason
        on screen and in the event, if there is nothing to read."""
        return self._read()

    def _read(self) -> LineReading | None:
        self._forget()
        if self.rec is None:
            reason = "the model is still loading"
        elif self.canvas.is_empty:
            reason = "draw something first"
        else:
            try:
                square = self.rec.square_script
                line = read_strokes(self.rec, self.canvas.strokes, self.canvas.pen,
                                    (self.canvas.width, self.canvas.height), alternatives=square)
                self.characters = [Character(c) for c in line.characters()]
                if len(self.characters) > 1:  # read as a whole: every split, and for Hangul the language
                    self.readings = line_readings(line, self.rec.labels, square, READINGS, prior_for("ko", square))
                self.line = line
            except ImageError as e:
                reason = str(e)
        if self.line is None:
            self.message = reason
            self._emit("reading", reason, {"text": "", "characters": []})
            return None
        self.message = ""
        self._emit("reading", self.reading, self._reading_data())
        return self.line

    def _readings_dicts(self) -> list[dict]:
        return [{"text": r.text, "score": round(r.score, 3)} for r in self.readings]

    def _reading_data(self) -> dict:
        """A "reading" event's data: the reading, the line's readings, each character."""
        return {"text": self.reading, "readings": self._readings_dicts(),
                "characters": [c.as_dict(self.top) for c in self.characters]}

    @property
    def reading(self) -> str:
        """The current reading: the line's reading picked (the best at first), or, once a
        character was picked, each character's chosen label, else its best guess."""
        if self.readings and self.chosen_reading is not None:
            return self.readings[self.chosen_reading].text
        return "".join(c.label for c in self.characters)

    @_locked
    def pick_reading(self, rank: int) -> bool:
        """The line is its reading rank+1 (0: the best): ENTER appends it. False, with the
        reason on screen, if there is no such reading."""
        if not 0 <= rank < len(self.readings):
            self.say("no such reading of the line" if self.readings else "read a line of several characters first")
            return False
        self.chosen_reading = rank
        self.say(f"the line is {self.reading}")
        self._emit("reading", self.reading, self._reading_data())
        return True

    @_locked
    def guesses(self, i: int, count: int | None = None, start: int = 0) -> list[Prediction]:
        """Character i's guesses start+1 to start+count (count: `top`), best first."""
        return self.characters[i].guesses(count or self.top, start)

    @_locked
    def pick(self, i: int, rank: int) -> bool:
        """Character i (0: the leftmost) is its guess rank+1 (0: the best): kept as a sample of
        that label, in place of any sample kept of this drawing before. False, with the
        reason on screen, if there is no such character or guess."""
        if not 0 <= i < len(self.characters):
            self.say("draw something first" if not self.characters else f"there are {len(self.characters)} characters")
            return False
        if not 0 <= rank < len(self.rec.labels):
            self.say(f"the model has {len(self.rec.labels)} labels")
            return False
        char = self.characters[i]
        char.chosen = char.guesses(1, rank)[0].label
        self.chosen_reading = None  # a character corrected: the line is read character by character
        self._keep(char)
        return True

    @_locked
    def confirm(self) -> None:
        """The reading shown is right: each character not picked is kept under its label in it.
        A line's reading split otherwise than its characters keeps no samples: which ink is
        which of its characters was never shown."""
        labels = [c.label for c in self.characters]
        if self.readings and self.chosen_reading is not None:
            read = self.readings[self.chosen_reading].characters
            if [r.box for r in read] != [c.piece.box for c in self.characters]:
                return
            labels = [r.label for r in read]
        for char, label in zip(self.characters, labels):
            if char.chosen is None:
                char.chosen = label
                self._keep(char)

    def _keep(self, char: Character) -> None:
        if self.store is None:
            self.say(f"it is {char.label}")
            return
        if char.kept != char.label:  # picked again: the same label is not kept twice
            try:
                path = self.store.save(char.label, char.piece.image, char.piece.strokes, self.canvas.pen)
            except (DrawpadError, OSError) as e:  # a label such as 7/seven, a read-only folder
                self._error(f"cannot keep {char.label}: {e}")
                return
            replaced, char.sample, char.kept = char.sample, path, char.label
            self._emit("sample", f"{char.label} {path}", {"label": char.label, "path": str(path),
                                                          "replaced": str(replaced) if replaced else None})
            if replaced is not None:
                try:
                    self.store.remove(replaced)
                except OSError as e:
                    self._error(f"cannot take back {replaced}: {e}")
                    return
        n = self.store.count()
        self.say(f"kept {char.label}: {n} sample{'s' * (n != 1)} of {self.store.folder.name}")

    # -- text ------------------------------------------------------------------
    @_locked
    def add_reading(self) -> str:
        """Append the reading to the text and start afresh on a clean canvas; -> what was
        added. A reading that was shown is confirmed (confirm); what is drawn but was not
        read yet is read and appended, but kept as no sample: no one saw that reading."""
        shown = bool(self.characters)
        if not shown and self._read() is None:
            return ""
        if shown:
            self.confirm()
        added = self.reading
        self.text += added
        self.canvas.clear()
        self._forget()
        self.say(f"added {added}")
        self._emit("text", self.text)
        return added

    @_locked
    def backspace(self) -> None:
        """Delete the text's last character."""
        if self.text:
            self.text = self.text[:-1]
            self._emit("text", self.text)

    # -- for a front end -------------------------------------------------------
    @_locked
    def state(self) -> dict:
        """Everything a front end shows, JSON-able."""
        rec = self.rec
        return {
            "canvas": {"width": self.canvas.width, "height": self.canvas.height, "pen": self.canvas.pen},
            "strokes": [[[x, y] for x, y in s] for s in self.canvas.strokes],
            "model": None if rec is None else {"source": str(rec.source), "labels": len(rec.labels),
                                               "engine": rec.engine},
            "top": self.top,
            "live": self.live,
            "characters": [c.as_dict(self.top) for c in self.characters],
            "readings": self._readings_dicts(),
            "chosen_reading": self.chosen_reading,
            "reading": self.reading,
            "text": self.text,
            "message": self.message,
            "learning": self.learning,
            "samples": None if self.store is None else {"folder": str(self.store.folder),
                                                        "count": self.sample_count},
        }
