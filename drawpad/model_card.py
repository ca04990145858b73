"""The model card: what a model needs to be used right, stored inside its .h5.

It lives in the HDF5 root attribute `drawpad_card` as JSON: labels, the
preprocessing (ink polarity, input size, box, centring, stroke width), the data
it was trained on and its measured test accuracy.
"""
from __future__ import annotations

import json
from pathlib import Path

from drawpad.errors import ModelError

CARD_ATTR = "drawpad_card"


def read_card(path: str | Path) -> dict | None:
    """The card of an .h5 file, or None if it has none. Raises ModelError if not HDF5."""
    import h5py  # here, not at the top: recognizing a converted model never opens the .h5

    try:
        with h5py.File(path, "r") as f:
            raw = f.attrs.get(CARD_ATTR)
    except OSError as e:
        raise ModelError(f"{path}: not a readable .h5 model file ({e})") from None
    if raw is None:
        return None
    try:
        card = json.loads(raw)
    except (TypeError, json.JSONDecodeError) as e:
        raise ModelError(f"{path}: its model card is not valid JSON ({e})") from None
    if not isinstance(card, dict):
        raise ModelError(f"{path}: its model card is not a JSON object")
    return card


def write_card(path: str | Path, card: dict) -> None:
    """Add or replace the card of an existing .h5 file."""
    import h5py

    with h5py.File(path, "a") as f:
        f.attrs[CARD_ATTR] = json.dumps(card, ensure_ascii=False)
