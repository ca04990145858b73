"""Train the default digit model: MNIST + pad-like augmentation -> models/mnist.h5.

    python -m train.digits --mnist ../shared/data/mnist --seed 4 --out models/mnist.h5
    python -m train.digits --mnist ../shared/data/mnist --seed 5 \
        --average-with models/mnist.h5 --out models/mnist.h5     # the mean of two models

Every image, training and test, goes through drawpad's own preprocessing, so
the model sees exactly what the pad will show it. Without --mnist it uses
local files it can find, else keras.datasets.mnist (downloads, as in Colab).
Without --strokes it uses the local pendigits copy, and refuses to run if there
is none: `--strokes none` trains on MNIST alone (new writers are then read worse).
"""
from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

from data_tools.mnist import load_mnist
from data_tools.strokes import distorted, load_strokes, replay, writer
from drawpad.errors import DataError, ImageError, ModelError
from drawpad.labels import DIGIT_LABELS
from drawpad.preprocess import DIGITS_SPEC
from drawpad.preprocess import Preprocessing, preprocess
from train.augment import augment
from train.common import (STRATEGY_HELP, ClusterError, confusions, finish, fit, inked_rows, mean_with,
                          members_of, parallel_map, predict_classes, provenance, right_answers)
from train.interrupt import interruptible

DATA_DIRS = [Path(__file__).resolve().parents[1] / "data",
             Path(__file__).resolve().parents[2] / "shared" / "data"]
LOCAL_MNIST = [d / "mnist" for d in DATA_DIRS]
LOCAL_STROKES = [d / "strokes" / "pendigits-train.ndjson.gz" for d in DATA_DIRS]


def preprocess_digits(digits: np.ndarray, seed, spec: Preprocessing = DIGITS_SPEC) -> np.ndarray:
    """White-on-black MNIST digits -> model inputs; augmented when seed is not None.

    A distortion that leaves nothing recognizable falls back to the clean digit;
    a digit the pad itself would refuse (a blob) comes out all zeros.
    """
    rng = None if seed is None else np.random.default_rng(seed)
    out = np.zeros((len(digits), spec.size, spec.size), np.uint8)
    for i, d in enumerate(digits):
        for image in ([augment(d, rng)] if rng else []) + [255 - d]:
            try:
                out[i] = preprocess(image, spec)
                break
            except ImageError:
                continue
    return out


def preprocess_strokes(samples: np.ndarray, seed, distort: bool = False) -> np.ndarray:
    """Real pen strokes replayed on a pad-sized canvas (random size, place, pen) -> model inputs;
    with distort, each first drawn as another writer might (data_tools.strokes.distorted)."""
    rng = np.random.default_rng(seed)
    out = np.zeros((len(samples), DIGITS_SPEC.size, DIGITS_SPEC.size), np.uint8)
    for i, s in enumerate(samples):
        try:
            out[i] = preprocess(replay(distorted(s, rng) if distort else s, rng), DIGITS_SPEC)
        except ImageError:
            pass
    return out


def pen_strokes(samples: list[dict], writers: int, copies: int, seed: int):
    """Replays of pendigits writers 1..`writers`, `copies` times each (one faithful, the others
    distorted: 30 writers are few); the rest stay unseen."""
    if not samples or not writers or not copies:
        return np.zeros((0, DIGITS_SPEC.size, DIGITS_SPEC.size), np.uint8), np.zeros(0, np.int64)
    samples = np.array([s for s in samples if writer(s) <= writers], dtype=object)
    labels = np.array([int(s["label"]) for s in samples])
    images = np.concatenate([parallel_map(partial(preprocess_strokes, distort=c > 0), samples,
                                          seed=(seed, 1000 + c)) for c in range(copies)])
    return images, np.tile(labels, copies)


def count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def usable(images: np.ndarray, labels: np.ndarray, what: str):
    keep = inked_rows(images)
    if len(keep) < len(images):
        print(f"{what}: dropped {len(images) - len(keep)} digits the pad would refuse", flush=True)
    return images[keep], labels[keep]


def build_model(num_classes: int = 10):
    import keras
    from keras import layers

    def conv(x, filters, kernel=3, strides=1, padding="valid"):
        x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(x)
        return layers.BatchNormalization()(layers.ReLU()(x))

    # Chris Deotte's Kaggle MNIST layout: stacked 3x3 convolutions, strided 5x5 ones in place
    # of pooling, batch norm after the ReLU. About 15M multiply-adds, 0.33M parameters: one
    # network beats the mean of two earlier 9M-multiply-add pooling CNNs, at the same ~1 ms a
    # digit on a laptop CPU.
    inputs = keras.Input((DIGITS_SPEC.size, DIGITS_SPEC.size, 1))
    x = layers.Dropout(0.4)(conv(conv(conv(inputs, 32), 32), 32, 5, 2, "same"))
    x = layers.Dropout(0.4)(conv(conv(conv(x, 64), 64), 64, 5, 2, "same"))
    x = layers.Dropout(0.4)(conv(x, 128, 4))
    outputs = layers.Dense(num_classes, activation="softmax")(layers.Flatten()(x))
    return keras.Model(inputs, outputs, name="drawpad_digits")


@interruptible
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mnist", help="folder of MNIST idx(.gz) files or a Keras mnist.npz "
                    "(default: local copies if found, else download)")
    ap.add_argument("--out", default="models/mnist.h5", help="where to write the model (default %(default)s)")
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--copies", type=int, default=1, help="augmented copies of each training digit (default %(default)s)")
    ap.add_argument("--strokes", help="pendigits ndjson(.gz) of real pen strokes to train on too "
                    "(default: the local copy, ../shared/data/strokes/pendigits-train.ndjson.gz; "
                    "without one it refuses to run. 'none': MNIST alone, and new writers are read worse)")
    ap.add_argument("--stroke-writers", type=int, default=30,
                    help="train on pendigits writers 1..N (all 30 by default: more writers generalize better); "
                         "with fewer, benchmarks/pad_accuracy.py also measures the unseen ones (default %(default)s)")
    ap.add_argument("--stroke-copies", type=int, default=24,
                    help="replays of each of those pen-stroke digits; the more of the training they are, "
                         "the better new writers are read (default %(default)s)")
    ap.add_argument("--batch-size", type=int, default=128, help="per device (default %(default)s)")
    ap.add_argument("--limit", type=int, help="use only the first N training digits (quick runs)")
    ap.add_argument("--strategy", default="auto", choices=["auto", "default", "mirrored", "tpu", "multiworker"],
                    help=STRATEGY_HELP)
    ap.add_argument("--backup", help="folder for resumable training state (default: <out>.backup; "
                    "in Colab put it on Drive)")
    ap.add_argument("--average-with", metavar="MODEL",
                    help="a digit model trained before (e.g. models/mnist.h5, with another --seed): "
                         "the output is one model giving the mean of its and the new model's "
                         "probabilities, which makes fewer mistakes than either alone")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    made_by = provenance("train.digits", argv)
    strokes = (None if args.strokes == "none"
               else args.strokes or next((str(p) for p in LOCAL_STROKES if p.is_file()), None))
    if args.strokes is None and strokes is None:  # not silently: without them new writers read worse
        print(f"error: no pen strokes ({' nor '.join(map(str, LOCAL_STROKES))} found): give --strokes FILE "
              "(pendigits ndjson), or --strokes none to train on MNIST alone", file=sys.stderr)
        return 2

    import keras

    members, member_cards = [], []
    if args.average_with:
        try:  # now, not after an hour of training; --out may be the same file
            members, member_cards = members_of(args.average_with, DIGIT_LABELS, DIGITS_SPEC)
        except ModelError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    keras.utils.set_random_seed(args.seed)
    source = args.mnist or next((str(p) for p in LOCAL_MNIST if p.is_dir()), None)
    print(f"data: {source or 'keras.datasets.mnist (download)'}", flush=True)
    print(f"pen strokes: {strokes or 'none'}", flush=True)
    try:  # both now, not after minutes of preprocessing
        (x_train, y_train), (x_test, y_test) = load_mnist(source)
        pen = load_strokes(strokes) if strokes else []
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.limit:
        x_train, y_train = x_train[:args.limit], y_train[:args.limit]
    n_val = len(x_train) // 12  # validation split from train: the test set stays unseen
    x_val, y_val = x_train[-n_val:], y_train[-n_val:]
    x_fit, y_fit = x_train[:-n_val], y_train[:-n_val]

    t0 = time.time()
    x_val, x_test = parallel_map(preprocess_digits, x_val), parallel_map(preprocess_digits, x_test)
    x_fit = np.concatenate([parallel_map(preprocess_digits, x_fit)] +
                           [parallel_map(preprocess_digits, x_fit, seed=(args.seed, c))
                            for c in range(args.copies)])
    x_pen, y_pen = pen_strokes(pen, args.stroke_writers, args.stroke_copies, args.seed)
    x_fit, y_fit = usable(np.concatenate([x_fit, x_pen]),
                          np.concatenate([np.tile(y_fit, args.copies + 1), y_pen]), "train")
    x_val, y_val = usable(x_val, y_val, "validation")
    copies = count(args.copies, "augmented copy", "augmented copies")
    print(f"preprocessed {len(x_fit)} training images ({copies}) "
          f"in {time.time() - t0:.0f} s", flush=True)

    try:
        model, backup = fit(lambda: build_model(len(DIGIT_LABELS)), (x_fit, y_fit), (x_val, y_val), args.out,
                            epochs=args.epochs, batch_size=args.batch_size, strategy=args.strategy,
                            backup=args.backup, seed=args.seed)
    except ClusterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if model is None:  # one of several workers, not the chief: the chief wrote the model
        return 0
    # A refused test digit counts as wrong: the accuracy is over all 10,000.
    refused = x_test.reshape(len(x_test), -1).max(axis=1) == 0
    if refused.any():
        print(f"test: {np.count_nonzero(refused)} digits refused by the preprocessing (counted wrong)")

    def test_accuracy(m) -> float:
        return round(float(np.mean(right_answers(m, x_test, y_test))), 4)

    card = {
        "name": "mnist",
        "labels": DIGIT_LABELS,
        "preprocessing": DIGITS_SPEC.to_dict(),
        "input_shape": [DIGITS_SPEC.size, DIGITS_SPEC.size, 1],
        "trained_on": f"MNIST train ({len(x_train) - n_val} digits) + {copies}, pad-like "
                      "(rotation, slant, stretch, elastic, pen width)"
                      + (f" + {len(y_pen)} replays of pendigits writers 1-{args.stroke_writers}"
                         f" ({args.stroke_copies - 1} of each {args.stroke_copies} rotated, slanted, "
                         "stretched, strokes moved)" if len(y_pen) else "")
                      + f", seed {args.seed}, {count(args.epochs, 'epoch', 'epochs')}",
        "pendigits_writers_seen": args.stroke_writers if len(y_pen) else 0,
        "test_data": f"MNIST test ({len(x_test)} digits) through drawpad.preprocess",
        "test_accuracy": test_accuracy(model),
        "train_seconds": round(time.time() - t0),
        **made_by,
    }
    if members:
        print(f"MNIST test accuracy of the new model alone: {card['test_accuracy']:.4f}", flush=True)
        model, card = mean_with(members, member_cards, model, card,
                                ("trained_on", "pendigits_writers_seen", "test_accuracy", "train_seconds",
                                 "command", "commit"))
        card.update(test_accuracy=test_accuracy(model))
    print(f"MNIST test accuracy through drawpad preprocessing: {card['test_accuracy']:.4f}", flush=True)

    val_pred = predict_classes(model, x_val)
    out, curve, confused = finish(model, args.out, card, backup, confusions(y_val, val_pred, DIGIT_LABELS))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB), {curve.name}, {confused.name} "
          f"in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
