"""The browser pad's actions (drawpad/web/pad.js), applied to a pad session, and the view
it gets back: one protocol for `drawpad serve` (over HTTP) and the notebook widget (over
the widget's messages), so both front ends drive drawpad.session as the window does.

An action is a JSON object: {"action": "stroke", "points": [[x, y], ...]} (canvas pixels),
"recognize", "clear", "undo", "live", "pick" (char, index: 0 the best guess), "more"
(char, start: that character's guesses from there), "enter" (the reading to the text),
"backspace", "model" (name: one of the models listed), "learn" (personalize now), "base"
(back to the base model), "hello" (just the view). The view is the session's state plus
the models to switch between and the current one's name.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Callable

from drawpad.errors import DrawpadError, ImageError
from drawpad import reading
from drawpad.session import Character, Session

# Points in one request: a page of handwriting is a few thousand; more is no drawing.
MAX_POINTS = 50_000


class BadAction(DrawpadError):
    """An action that cannot be applied: the front end (or whoever posted it) sent it wrong."""


class Models:
    """The models a front end may switch between, by name: `start`, the one it began with,
    and those `--list` shows (drawpad.model_files.listed_models), each loaded once by
    `load(path)` (on first use) and shared by every session."""

    def __init__(self, start: Path, listed: dict[str, Path], load: Callable[[Path], object]):
        self.start = Path(start).stem
        self.paths = {self.start: Path(start), **{k: v for k, v in listed.items() if k != self.start}}
        self._load = load
        self._loaded: dict[str, object] = {}
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        return list(self.paths)

    def get(self, name: str):
        """The Recognizer of a listed model (loaded on first use). BadAction for any other name."""
        if not isinstance(name, str) or name not in self.paths:
            raise BadAction(f"{str(name)[:80]!r} is not one of the models served: {', '.join(self.paths)}")
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = self._load(self.paths[name])
            return self._loaded[name]

    def name_of(self, rec) -> str | None:
        """A recognizer's name: a listed model's, else its file's (a personal model learned
        in the background, drawpad.learner)."""
        if rec is None:
            return None
        return next((name for name, r in self._loaded.items() if r is rec), None) or Path(rec.source).stem


def points(value, budget: int = MAX_POINTS) -> list[tuple[float, float]]:
    """A stroke as sent: a non-empty list of [x, y] finite numbers (canvas pixels)."""
    if not isinstance(value, list) or not value:
        raise BadAction("a stroke is a non-empty list of [x, y] points")
    if len(value) > budget:
        raise BadAction(f"too many points: at most {MAX_POINTS} in one request")
    out = []
    for p in value:
        if not (isinstance(p, list) and len(p) == 2 and all(_number(c) for c in p)):
            raise BadAction(f"a point is [x, y], two finite numbers, not {str(p)[:40]}")
        out.append((float(p[0]), float(p[1])))
    return out


def strokes(value) -> list[list[tuple[float, float]]]:
    """Strokes as sent: a non-empty list of strokes (see points), MAX_POINTS in all."""
    if not isinstance(value, list) or not value:
        raise BadAction('no strokes: send {"strokes": [[[x, y], ...], ...]}')
    out, budget = [], MAX_POINTS
    for stroke in value:
        out.append(points(stroke, budget))
        budget -= len(out[-1])
    return out


def _number(c) -> bool:
    # abs() bounds too: math.isfinite(10**400) raises OverflowError on an int that big
    return isinstance(c, (int, float)) and not isinstance(c, bool) and abs(c) < 1e9 and math.isfinite(c)


def _index(message: dict, key: str, default: int | None = None) -> int:
    value = message.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadAction(f"{key} must be a whole number, 0 or more")
    return value


def view(session: Session, models: Models) -> dict:
    """What the page shows: the session's state, the models and the current one's name."""
    return {**session.state(), "models": models.names, "current": models.name_of(session.rec)}


def apply(session: Session, models: Models, message, learner=None) -> dict:
    """Apply one action to the session; -> the view. BadAction for a malformed action.
    `learner`: the drawpad.learner.Learner watching the session (None: it learns nothing)."""
    if not isinstance(message, dict):
        raise BadAction('an action is a JSON object such as {"action": "recognize"}')
    action = message.get("action")
    extra = {}
    if action == "hello":
        pass
    elif action == "stroke":
        session.add_stroke(points(message.get("points")))
    elif action == "recognize":
        session.recognize()
    elif action == "clear":
        session.clear()
    elif action == "undo":
        session.undo()
    elif action == "live":
        session.set_live(not session.live)
    elif action == "pick":
        session.pick(_index(message, "char"), _index(message, "index"))
    elif action == "more":
        i, start = _index(message, "char"), _index(message, "start")
        if i < len(session.characters):
            guesses = session.guesses(i, session.top, start)
            extra["page"] = {"char": i, "start": start, "guesses": [
                {"label": p.label, "probability": round(p.probability, 6)} for p in guesses]}
    elif action == "enter":
        session.add_reading()
    elif action == "backspace":
        session.backspace()
    elif action == "model":
        rec = models.get(message.get("name"))
        if rec is not session.rec:
            session.use_model(rec)
    elif action in ("learn", "base") and learner is None:
        session.say("learning is off: no samples are kept (--no-save)" if session.store is None
                    else "this pad does not learn in the background (python -m train.personalize does)")
    elif action == "learn":
        learner.learn(session)
    elif action == "base":
        learner.back_to_base(session)
    else:
        raise BadAction(f"unknown action {str(action)[:40]!r}")
    return {**view(session, models), **extra}


def recognize_strokes(rec, value, top: int | None = None) -> dict:
    """Strokes (canvas pixels) read as the pad reads them: a fresh session, no samples."""
    session = Session(rec, top=top)
    for stroke in strokes(value):
        session.add_stroke(stroke)
    session.recognize()
    return _result(session.characters, session.message, session.top)


def recognize_image(rec, image, top: int | None = None) -> dict:
    """An image of a line (dark ink on light paper) read as `--image --line` reads it."""
    top = top or rec.default_top
    try:
        return _result([Character(c) for c in reading.read_line(rec, image).characters()], "", top)
    except ImageError as e:  # nothing to read: an answer, as an empty canvas is
        return _result([], str(e), top)


def _result(characters: list[Character], message: str, top: int) -> dict:
    return {"line": "".join(c.label for c in characters),
            "characters": [c.as_dict(top) for c in characters], "message": message}
