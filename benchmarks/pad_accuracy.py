"""Digit accuracy on data the model never saw, through the pad's own path, on both engines.

    python benchmarks/pad_accuracy.py [--model models/mnist.h5] [--seed 0] [--engines onnx keras]

1. Real pen strokes: every digit of pendigits-train.ndjson.gz (UCI pendigits,
   30 writers; the model card says which writers training saw, reported apart)
   replayed on a 400x400 canvas at random height (80-320 px), position and pen
   width (8-30 px), recognized with Recognizer.recognize_batch; side by side with
   the original project's pipeline (shrink the whole canvas to 28x28, invert,
   /255) on the same model.
2. MNIST test (10,000) as dark ink on light paper, through Recognizer.
Each engine reads the same canvases, so their figures must agree. Writes
benchmarks/results/pad_accuracy-<model>.json.
"""
from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import numpy as np

from paths import DATA, ROOT, run  # also puts the project on sys.path

CHUNK = 500  # canvases made and read at a time: 7,494 400x400 canvases at once would be 1.2 GB


def most_confused(truths, guesses, n: int = 6) -> list[list]:
    counts = collections.Counter((a, b) for a, b in zip(truths, guesses) if a != b)
    return [[a, b, c] for (a, b), c in counts.most_common(n)]


def top1(rec, images) -> list[str]:
    """The top guess for each image; "refused" where the pad would refuse it (a blob)."""
    return [r[0].label if isinstance(r, list) else "refused"
            for r in rec.recognize_batch(images, top=1, errors="return")]


def accuracy(truths, guesses) -> dict:
    right = sum(a == b for a, b in zip(truths, guesses))
    return {"accuracy": round(right / len(truths), 5), "wrong": len(truths) - right, "of": len(truths)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/mnist.h5"))
    ap.add_argument("--strokes", default=str(DATA / "strokes/pendigits-train.ndjson.gz"))
    ap.add_argument("--mnist", default=str(DATA / "mnist"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", nargs="+", choices=["onnx", "keras"], default=["onnx", "keras"])
    args = ap.parse_args()

    import cv2

    import record
    from data_tools.mnist import load_mnist
    from data_tools.strokes import load_strokes, replay, writer
    from drawpad import Recognizer

    recs = {engine: Recognizer.from_file(args.model, engine=engine) for engine in args.engines}
    keras_model = Recognizer.from_file(args.model, engine="keras").model  # for the original pipeline
    card, labels = next(iter(recs.values())).card, next(iter(recs.values())).labels
    samples = load_strokes(args.strokes)
    truths = [s["label"] for s in samples]
    seen = card.get("pendigits_writers_seen", 0)
    unseen = [writer(s) > seen for s in samples]
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    guesses = {engine: [] for engine in recs}
    original = []
    for i in range(0, len(samples), CHUNK):
        canvases = [replay(s, rng) for s in samples[i:i + CHUNK]]
        for engine, rec in recs.items():
            guesses[engine] += top1(rec, canvases)
        x = np.stack([cv2.resize(c, (28, 28), interpolation=cv2.INTER_AREA) for c in canvases])
        x = (255 - x)[..., None] / np.float32(255)
        original += [labels[j] for j in keras_model.predict_on_batch(x).argmax(axis=1)]
    print(f"pendigits replayed on a 400x400 pad ({len(samples)} digits, height 80-320 px, pen 8-30 px, "
          f"seed {args.seed}; {(time.perf_counter() - t) / len(samples) * 1e3:.1f} ms/digit in all):")
    _, (x_test, y_test) = load_mnist(args.mnist)
    mnist_truths = [str(label) for label in y_test]
    figures = {"model": Path(args.model).name, "seed": args.seed, "pendigits_writers_seen": seen,
               "original_pipeline_pendigits": accuracy(truths, original)}
    for engine, rec in recs.items():
        g = guesses[engine]
        row = {"pendigits": accuracy(truths, g),
               "pendigits_confused": most_confused(truths, g)}
        if seen and any(unseen):
            row["pendigits_unseen_writers"] = accuracy([a for a, u in zip(truths, unseen) if u],
                                                       [b for b, u in zip(g, unseen) if u])
        mnist = [label for k in range(0, len(x_test), CHUNK) for label in top1(rec, list(255 - x_test[k:k + CHUNK]))]
        row["mnist_test"] = accuracy(mnist_truths, mnist)
        row["mnist_confused"] = most_confused(mnist_truths, mnist)
        figures[engine] = row
        print(f"  {engine}: pendigits {row['pendigits']['accuracy']:.4f} ({row['pendigits']['wrong']} wrong)"
              + (f", writers {seen + 1}-30 only {row['pendigits_unseen_writers']['accuracy']:.4f}"
                 if "pendigits_unseen_writers" in row else "")
              + f"; MNIST test {row['mnist_test']['accuracy']:.4f} ({row['mnist_test']['wrong']} wrong)")
        print(f"    most confused, pendigits: {row['pendigits_confused']}; MNIST: {row['mnist_confused']}")
    print(f"  original pipeline, same model, pendigits: {figures['original_pipeline_pendigits']['accuracy']:.4f}")
    if seen >= 30:
        print(f"  (the model trained on replays of all {seen} writers: not a measure on unseen writers)")
    record.write(f"pad_accuracy-{Path(args.model).stem}", figures)


if __name__ == "__main__":
    run(main)
