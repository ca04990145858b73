"""The sample store: drawings a user confirmed or corrected in the pad, kept with their label.

    SAMPLES/<model name>/<label>/<time>.png   the drawing, dark ink on light paper
    SAMPLES/<model name>/<label>/<time>.json  its pen-down strokes, the pen, the label

`python -m train.personalize` reads such a folder (or any laid out the same way).
Each file is written under a temporary name and renamed, the PNG last: a sample is
there once its PNG is, so a pad killed mid-save loses at most that drawing and never
leaves a broken file.
"""
from __future__ import annotations

import datetime
import json
import os
import unicodedata
from pathlib import Path

import cv2
import numpy as np

from drawpad.errors import DrawpadError
from drawpad.user_folders import user_folder


def default_dir() -> Path:
    """The per-user data folder for drawpad's samples."""
    return user_folder("data") / "samples"


def label_folder(label: str) -> str:
    """A label as a folder name: NFC, so 한 typed on macOS (NFD) and on Linux is one folder."""
    name = unicodedata.normalize("NFC", label)
    if not name or name in (".", "..") or any(c in name for c in '/\\:*?"<>|') or not name.isprintable():
        raise DrawpadError(f"{label!r} cannot be a sample folder name")
    return name


def model_key(card: dict, source: str | Path) -> str:
    """The name a model's samples are kept under: its base model's (train.personalize records
    it in the card as `base_model`; a personal model made before that, the file it was made
    from), so a personal model adds to the samples it was made from; else the card's name,
    else the file's name."""
    base = card.get("base_model") or (card.get("personalized_from") and Path(card["personalized_from"]).stem)
    return base or card.get("name") or Path(source).stem


class SampleStore:
    """The samples of one model under `root` (SAMPLES/<model name>). DrawpadError if the
    name cannot be a folder name."""

    def __init__(self, root: str | Path, model: str):
        self.folder = Path(root) / label_folder(model)
        self._count: int | None = None  # counted once, then kept up to date (a redraw asks)

    def save(self, label: str, image: np.ndarray, strokes: list | None = None, pen: int | None = None) -> Path:
        """Keep one drawing as a sample of `label`; returns its PNG's path."""
        folder = self.folder / label_folder(label)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        png = folder / f"{stamp}.png"
        ok, encoded = cv2.imencode(".png", image)
        if not ok:
            raise DrawpadError(f"cannot encode the drawing as PNG for {png}")
        if strokes is not None:
            record = {"label": unicodedata.normalize("NFC", label), "pen": pen,
                      "strokes": [[[int(x), int(y)] for x, y in s] for s in strokes]}
            _write(png.with_suffix(".json"), json.dumps(record, ensure_ascii=False).encode())
        _write(png, encoded.tobytes())  # last: the PNG is what makes the sample
        if self._count is not None:
            self._count += 1
        return png

    def remove(self, png: Path) -> None:
        """Take back a sample this store saved (its PNG first: it is what makes the sample)."""
        png.unlink(missing_ok=True)
        png.with_suffix(".json").unlink(missing_ok=True)
        if self._count:
            self._count -= 1

    def count(self) -> int:
        """How many samples this model has: the folder is counted on the first call only,
        then the store's own saves and removals keep count."""
        if self._count is None:
            self._count = sum(1 for _ in self.folder.glob("*/*.png")) if self.folder.is_dir() else 0
        return self._count


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
