"""Pieces every training script shares: parallel preprocessing and saving a model with its card."""
from __future__ import annotations

import datetime
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from drawpad.model_card import write_card


def parallel_map(fn, items, seed=None, workers: int | None = None, chunks: int = 64) -> np.ndarray:
    """fn(chunk_of_items, chunk_seed) -> array, over `workers` processes, concatenated in order.

    Each chunk gets its own seed (seed, chunk index), so results do not depend
    on the number of workers; seed None passes None through.
    """
    workers = workers or os.cpu_count() or 1
    parts = np.array_split(np.arange(len(items)), chunks)
    with ProcessPoolExecutor(workers) as pool:
        futures = [pool.submit(fn, items[idx], None if seed is None else (seed, i))
                   for i, idx in enumerate(parts)]
        return np.concatenate([f.result() for f in futures])


def save_model(model, path: str | Path, card: dict) -> Path:
    """Write the .h5 under a temporary name, add its card, then rename: never a half-written model."""
    import keras

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".partial.h5")
    model.save(tmp, include_optimizer=False)  # users need the weights, not Adam's state
    write_card(tmp, {**card, "keras_version": keras.__version__,
                     "created": datetime.date.today().isoformat()})
    os.replace(tmp, path)
    return path
