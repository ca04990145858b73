"""Can the tf.data input keep training fed? The pipeline alone against the training step (#33).

    python benchmarks/input_pipeline.py [--steps 200] [--batch-size 128]

For each trainer's network, on the same data:
- pipeline: samples/s of only iterating train.common.dataset over a memory-mapped uint8
  array, shuffled, with the map and prefetch training has (and the targets fit adds:
  one-hot labels under label smoothing, the jamo heads' classes from their tables);
- training: samples/s of train.common.fit on it (default strategy, one epoch of
  --steps batches), timed from the end of its first step (which traces) to its last.
The pipeline should deliver at least 3x what training takes (target_ratio), so that
reading never stalls a step. Digits: train.digits.build_model on 28x28 inputs; Hangul:
train.hangul.build_model with the jamo heads on 60x60 inputs and the 2,350 KS X 1001
syllables, label smoothing 0.1 as train.hangul trains. The images are random bytes in a
temporary .npy opened as a memmap, as train.hangul reads converted data (just written,
so from the page cache). The figures go to benchmarks/results/input_pipeline.json.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from paths import run  # also puts the project on sys.path

TARGET_RATIO = 3.0


def memmap_of(folder: Path, n: int, size: int, classes: int, seed: int = 0):
    """n random size x size uint8 images on disk, opened read-only as a memmap, and their labels."""
    rng = np.random.default_rng(seed)
    images = np.lib.format.open_memmap(folder / "images.npy", "w+", np.uint8, (n, size, size))
    for start in range(0, n, 4096):
        images[start:start + 4096] = rng.integers(0, 256, images[start:start + 4096].shape, np.uint8)
    images.flush()
    del images
    return np.load(folder / "images.npy", mmap_mode="r"), rng.integers(0, classes, n)


def pipeline_rate(images, labels, batch: int, steps: int, classes: int, smoothing: float, tables) -> float:
    """Samples/s of iterating the training input alone, after a few batches of warm-up."""
    from train.common import dataset, with_targets

    warm = min(5, steps - 1)
    batches = iter(with_targets(dataset(images, labels, batch, shuffle=True), classes, smoothing, tables))
    for _ in range(warm):
        next(batches)
    t = time.perf_counter()
    for _ in range(steps - warm):
        next(batches)
    return (steps - warm) * batch / (time.perf_counter() - t)


def training_rate(build, images, labels, batch: int, folder: Path, smoothing: float, parts) -> float:
    """Samples/s of train.common.fit's steps after the first, on one epoch of the data."""
    import keras

    from train.common import fit

    ends = []
    step_ends = keras.callbacks.LambdaCallback(on_train_batch_end=lambda step, logs: ends.append(time.perf_counter()))
    rows = np.arange(len(labels))
    fit(build, (images, labels, rows), (images, labels, rows[:batch]), folder / "model.h5", epochs=1,
        batch_size=batch, strategy="default", label_smoothing=smoothing, parts=parts, callbacks=[step_ends])
    return (len(ends) - 1) * batch / (ends[-1] - ends[0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200, help="batches per measurement (default %(default)s)")
    ap.add_argument("--batch-size", type=int, default=128, help="as the trainers' default (default %(default)s)")
    args = ap.parse_args()
    if args.steps < 2:
        raise SystemExit("error: --steps must be at least 2 (the first training step traces, and is not timed)")

    import record
    import train.digits  # the train package imports Keras quietly
    import train.hangul
    from drawpad.labels import ksx1001_syllables
    from drawpad.preprocess import DIGITS_SPEC, HANGUL_SPEC

    names = list(ksx1001_syllables())
    models = [("digits", DIGITS_SPEC.size, 10, lambda: train.digits.build_model(10), 0.0, None),
              ("hangul", HANGUL_SPEC.size, len(names),
               lambda: train.hangul.build_model(names, HANGUL_SPEC.size), 0.1, train.hangul.jamo_of(names))]
    figures = {"load_average": {"1_min_before": round(os.getloadavg()[0], 2)}}
    n = args.steps * args.batch_size
    for name, size, classes, build, smoothing, parts in models:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            images, labels = memmap_of(tmp, n, size, classes)
            tables = list((parts or {}).values())
            reading = pipeline_rate(images, labels, args.batch_size, args.steps, classes, smoothing, tables)
            training = training_rate(build, images, labels, args.batch_size, tmp, smoothing, parts)
        ratio = reading / training
        figures[name] = {"input": f"{size}x{size}", "classes": classes, "batch_size": args.batch_size,
                         "steps": args.steps, "pipeline_samples_per_s": round(reading),
                         "training_samples_per_s": round(training, 1), "ratio": round(ratio, 1),
                         "target_ratio": TARGET_RATIO}
        print(f"{name}: pipeline {reading:,.0f} samples/s, training {training:,.1f} samples/s: "
              f"{ratio:.1f}x (target >= {TARGET_RATIO:.0f}x{', met' if ratio >= TARGET_RATIO else ', NOT met'})",
              flush=True)
    figures["load_average"]["1_min_after"] = round(os.getloadavg()[0], 2)
    record.write("input_pipeline", figures)


if __name__ == "__main__":
    run(main)
