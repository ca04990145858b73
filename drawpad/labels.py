"""Label lists: the built-in label-set rules and label files (text or JSON, never pickle)."""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from drawpad.errors import ModelError

DIGIT_LABELS = [str(d) for d in range(10)]


@lru_cache(maxsize=1)
def ksx1001_syllables() -> tuple[str, ...]:
    """The 2,350 Hangul syllables of KS X 1001, in code order (가 first).

    They are EUC-KR rows 0xB0..0xC8, columns 0xA1..0xFE; Python's codec
    knows the table, so we decode it instead of shipping a copy.
    """
    return tuple(bytes([row, col]).decode("euc_kr")
                 for row in range(0xB0, 0xC9) for col in range(0xA1, 0xFF))


def default_labels(n_outputs: int) -> list[str] | None:
    """The label-set rules: 10 outputs are digits, 2350 the KS X 1001 syllables."""
    if n_outputs == len(DIGIT_LABELS):
        return list(DIGIT_LABELS)
    if n_outputs == len(ksx1001_syllables()):
        return list(ksx1001_syllables())
    return None


def sidecar_labels(model_path: Path) -> Path:
    """The labels file a model without a card may have beside it: <model>.labels.txt."""
    return model_path.with_name(model_path.stem + ".labels.txt")


def read_labels(path: str | Path) -> list[str]:
    """One label per line (UTF-8), or a JSON list of strings."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise ModelError(f"{path}: cannot read labels file ({e})") from None
    if text.lstrip().startswith("["):
        try:
            labels = json.loads(text)
        except json.JSONDecodeError as e:
            raise ModelError(f"{path}: invalid JSON label list ({e})") from None
        if not all(isinstance(x, str) for x in labels):
            raise ModelError(f"{path}: a JSON label file must be a list of strings")
    else:
        labels = [line.strip() for line in text.splitlines() if line.strip()]
    if len(set(labels)) != len(labels):
        raise ModelError(f"{path}: labels are repeated")
    return labels


def write_labels(path: str | Path, labels: list[str]) -> None:
    Path(path).write_text("".join(f"{x}\n" for x in labels), encoding="utf-8")
