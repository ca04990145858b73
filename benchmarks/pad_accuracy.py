"""Digit accuracy on data the model never saw, through the pad's own path.

    python benchmarks/pad_accuracy.py [--model models/mnist.h5] [--seed 0]

1. Real pen strokes: every digit of pendigits-train.ndjson.gz (UCI pendigits,
   30 writers; the model card says which writers training saw, reported apart) replayed on a 400x400 canvas at random
   height (80-320 px), position and pen width (8-30 px), recognized with
   Recognizer.recognize; side by side with the original project's pipeline
   (shrink the whole canvas to 28x28, invert, /255) on the same model.
2. MNIST test (10,000) as dark ink on light paper, through Recognizer.
"""
from __future__ import annotations

import argparse
import collections
import time

import numpy as np

from paths import DATA, ROOT, run  # also puts the project on sys.path


def most_confused(truths, guesses, n: int = 6) -> str:
    counts = collections.Counter((a, b) for a, b in zip(truths, guesses) if a != b)
    return "most confused (true -> guess): " + ", ".join(f"{a}->{b} x{c}" for (a, b), c in counts.most_common(n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/mnist.h5"))
    ap.add_argument("--strokes", default=str(DATA / "strokes/pendigits-train.ndjson.gz"))
    ap.add_argument("--mnist", default=str(DATA / "mnist"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import cv2

    from data_tools.mnist import load_mnist
    from data_tools.strokes import load_strokes, replay, writer
    from drawpad import ImageError, Recognizer

    rec = Recognizer.from_file(args.model)
    samples = load_strokes(args.strokes)
    rng = np.random.default_rng(args.seed)
    t = time.perf_counter()
    right = original_right = 0
    seen = rec.card.get("pendigits_writers_seen", 0)
    unseen_n = unseen_right = 0
    guesses = []
    for s in samples:
        canvas = replay(s, rng)
        try:
            guess = rec.recognize(canvas, top=1)[0].label
        except ImageError:
            guess = "refused"
        guesses.append(guess)
        right += guess == s["label"]
        if writer(s) > seen:
            unseen_n += 1
            unseen_right += guess == s["label"]
        x = (255 - cv2.resize(canvas, (28, 28), interpolation=cv2.INTER_AREA)) / np.float32(255)
        original_right += rec.labels[int(rec.model.predict_on_batch(x[None, ..., None]).argmax())] == s["label"]
    n = len(samples)
    print(f"pendigits replayed on a 400x400 pad ({n} digits, height 80-320 px, pen 8-30 px, seed {args.seed}):")
    print(f"  drawpad Recognizer.recognize:        {right / n:.4f} ({n - right} wrong), "
          f"{(time.perf_counter() - t) / n * 1e3:.1f} ms/digit incl. rendering and the baseline")
    if seen and unseen_n:
        print(f"  writers {seen + 1}-30 only (never seen in training, {unseen_n} digits): "
              f"{unseen_right / unseen_n:.4f} ({unseen_n - unseen_right} wrong)")
    elif seen:
        print(f"  (the model trained on replays of all {seen} writers: not a measure on unseen writers)")
    print(f"  original pipeline, same model:      {original_right / n:.4f}")
    print("  " + most_confused([s["label"] for s in samples], guesses))

    _, (x_test, y_test) = load_mnist(args.mnist)
    preds = []
    for i in range(0, len(x_test), 500):
        chunk = list(255 - x_test[i:i + 500])
        try:
            preds += [p[0].label for p in rec.recognize_batch(chunk, top=1)]
        except ImageError:  # a digit the pad refuses (a blob) counts as wrong
            for image in chunk:
                try:
                    preds.append(rec.recognize(image, top=1)[0].label)
                except ImageError:
                    preds.append("refused")
    acc = np.mean(np.array(preds) == y_test.astype(str))
    print(f"MNIST test through Recognizer (pad preprocessing): {acc:.4f} ({int(round((1 - acc) * len(y_test)))} wrong of {len(y_test)})")
    print("  " + most_confused(y_test.astype(str), preds))


if __name__ == "__main__":
    run(main)
