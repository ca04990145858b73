"""The pad in a notebook: the browser pad (drawpad/web/pad.js) as a widget, recognizing in
the kernel. anywidget shows it in JupyterLab, Jupyter Notebook, VS Code and Colab.

    from drawpad.notebook import Pad
    Pad("models/mnist.h5")          # a path, or a short name: Pad("hangul")

The page's actions come to the kernel as the widget's messages and are applied to one pad
session (drawpad.actions, as `drawpad serve` applies them), so it reads a drawing as the
window does and keeps confirmed drawings in the same sample store.
"""
from __future__ import annotations

from pathlib import Path

import anywidget

from drawpad.actions import Models, apply
from drawpad.errors import DrawpadError
from drawpad.model_files import listed_models, resolve_model
from drawpad.samples import default_dir
from drawpad.session import Session

WEB = Path(__file__).resolve().parent / "web"
DEFAULT = object()  # samples: the window's folder


class Pad(anywidget.AnyWidget):
    """A pad on `model` (a path or a short name) in the output cell. `top`: how many guesses
    (default: 3 for digits, 5 for Hangul); `samples`: where confirmed and corrected drawings
    are kept (default: the window's folder; None keeps none); `labels`, `ink`, `allow_code`,
    `engine`: as on the command line, for `model` (the others of --list, which the page may
    switch to, load with `engine` only). `pad.session` is its drawpad.session.Session."""

    _esm = WEB / "pad.js"
    _css = WEB / "pad.css"

    def __init__(self, model: str | Path = "mnist", *, top: int | None = None,
                 samples=DEFAULT, labels: str | Path | None = None,
                 ink: str | None = None, allow_code: bool = False, engine: str = "onnx"):
        from drawpad.recognizer import Recognizer

        super().__init__()
        start = resolve_model(model)
        options = {"labels": labels, "ink": ink, "allow_code": allow_code}
        self.models = Models(start, listed_models(), lambda path: Recognizer.from_file(
            path, engine=engine, **(options if path == start else {})))
        self.session = Session(self.models.get(self.models.start), top=top,
                               samples=default_dir() if samples is DEFAULT else samples)
        self.on_msg(self._on_message)

    def handle(self, message) -> dict:
        """One action from the page -> the reply it waits for: {"id", "view"}, or {"id", "error"}
        with one line for an action that cannot be applied."""
        key = message.get("id") if isinstance(message, dict) else None
        try:
            return {"id": key, "view": apply(self.session, self.models, message)}
        except DrawpadError as e:
            return {"id": key, "error": str(e).splitlines()[0] if str(e) else "bad action"}
        except Exception as e:  # noqa: BLE001 - the page waits for a reply to every action
            return {"id": key, "error": f"{type(e).__name__}: {e}".splitlines()[0]}

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and "action" in content:  # not anywidget's own messages
            self.send(self.handle(content))
