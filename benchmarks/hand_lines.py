"""Lines in the real writers' hands, for the benchmarks that read them (lines.py,
language_weight.py): everyday words and strings of random syllables, each made of one
writer's own syllable cells (data_tools.hand_words), and the model that reads each writer.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def hand_lines(writers, kind: str, per_writer: int, seed: int) -> list[tuple[str, str, np.ndarray]]:
    """(writer, text, image) of `per_writer` lines of each writer: kind "words", everyday
    words (data_tools/everyday_words.txt); "random", 2-4 random KS X 1001 syllables."""
    from data_tools.hand_words import read_words
    from drawpad.labels import ksx1001_syllables

    out = []
    for writer in sorted(writers.files):
        rng = writers.rng(writer, seed, int(kind == "words"))
        pool = writers.can_write(writer, read_words() if kind == "words" else ksx1001_syllables())
        for _ in range(per_writer):
            if kind == "words":
                text = pool[rng.integers(len(pool))]
            else:
                text = "".join(pool[k] for k in rng.integers(len(pool), size=rng.integers(2, 5)))
            out.append((writer, text, writers.word(writer, text, rng)))
    return out


def writer_models(writers: list[str], model: str, left_out: str | None) -> dict:
    """The Recognizer that reads each writer: without-<writer>.h5 of `left_out`, else
    `model`; a model whose card lists the writer is refused (it learned their hand)."""
    from drawpad import Recognizer

    shared = None if left_out else Recognizer.from_file(model)
    out = {}
    for writer in writers:
        path = Path(left_out) / f"without-{writer}.h5" if left_out else Path(model)
        rec = Recognizer.from_file(path) if left_out else shared
        if writer in rec.card.get("writers", []):
            raise SystemExit(f"error: {path} learned from writer {writer}: no figure on {writer} may come from it "
                             "(--left-out DIR)")
        out[writer] = rec
    return out


def accuracy(truths: list[str], texts: list) -> dict:
    """How lines were read (texts: a string or a list of labels each): split into the right
    number of characters, characters right (counted where the count is right: a wrong
    split has no character to compare), whole lines right."""
    n_chars = sum(len(t) for t in truths)
    right_count = [len(text) == len(t) for text, t in zip(texts, truths)]
    right = sum(a == b for text, t, ok in zip(texts, truths, right_count) if ok for a, b in zip(text, t))
    return {"lines": len(truths), "characters": n_chars,
            "right_count": round(float(np.mean(right_count)), 4),
            "per_character": round(right / n_chars, 4),
            "whole_string": round(float(np.mean([list(text) == list(t) for text, t in zip(texts, truths)])), 4)}
