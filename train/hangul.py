"""Train the Hangul model from the PHD08 converter's output -> models/hangul.h5.

    python -m data_tools.synth --fonts fonts.txt --pen 0.5 --out synth/ --per-font 3 --workers 2
    python -m data_tools.phd08 --data-dir synth/ --out data/ --workers 2
    python -m train.hangul --data data/ --out models/hangul.h5

(python -m train.hangul_recipe runs all three, from the Debian fonts, as the shipped model
was made.) The converter already ran drawpad's own preprocessing, so the model sees what
the pad shows it; its labels.txt and preprocessing.json go into the model card.
Re-running the same command after an interruption resumes from the backup.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np

from drawpad.errors import ModelError
from drawpad.labels import read_labels
from drawpad.model_card import read_card
from drawpad.preprocess import Preprocessing
from train.common import STRATEGY_HELP
from train.interrupt import interruptible


# Every syllable is initial * 588 + vowel * 28 + final from U+AC00 (Unicode's
# Hangul composition); final 0 is "none".
JAMO_PARTS = {"initial": 19, "vowel": 21, "final": 28}
# Filters per stage: the first strides, the other three end in a pool. 24-32-64-128 trained
# 2x faster than 32-40-80-160 on this 2-core CPU and runs in ~0.9 ms in ONNX Runtime.
WIDTHS = (24, 32, 64, 128)
DENSE = 512  # units of the hidden Dense layer before the heads


def layer_sizes(width: float = 1.0) -> tuple[tuple[int, ...], int]:
    """(filters per stage, Dense units) of the network `width` times as wide (--width), each
    rounded half up to a multiple of 8 (what SIMD kernels fill), at least 8."""
    def scaled(n: int) -> int:
        return max(8, int(n * width / 8 + 0.5) * 8)
    return tuple(scaled(n) for n in WIDTHS), scaled(DENSE)


def width_of(card: dict) -> float:
    """The width a model's card records; a card written before --width existed is width 1."""
    return float(card.get("width", 1.0))


def positive(text: str) -> float:
    """argparse's type for --width: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def jamo_of(names: list[str]) -> dict[str, np.ndarray]:
    """Label index -> its initial, vowel and final index, for each part."""
    codes = np.array([ord(ch) - 0xAC00 if len(ch) == 1 else -1 for ch in names])
    if codes.min() < 0 or codes.max() >= 11172:
        raise ValueError("jamo heads need labels that are precomposed Hangul syllables (--plain trains without)")
    return {"initial": codes // 588, "vowel": codes // 28 % 21, "final": codes % 28}


def build_model(names: list[str], size: int, jamo: bool = True, width: float = 1.0):
    """A small VGG-style net sized for accuracy per millisecond on a CPU (about 16M
    multiply-adds at `width` 1; layer_sizes): a training model whose first output,
    "syllable", is what ships (shipped_model), and with `jamo`, one output per part of
    the syllable.

    The first convolution strides: 60 px strokes are ~3 px wide, so 30x30
    feature maps lose nothing, and every later layer costs a quarter.
    The 3x3 map before the classifier keeps where each part of the syllable
    sits (initial, vowel, final), which global pooling would throw away.

    Jamo heads: each part's log-probabilities are spread onto the syllables that
    have it by a fixed 0/1 Dense matrix and added to a direct syllable head's
    logits, so what is learned of a vowel serves every syllable that has it. Only
    standard layers: the saved model is a plain drop-in for any Keras.
    """
    import keras
    from keras import layers

    def conv(x, filters, strides=1):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)(x)
        return layers.ReLU()(layers.BatchNormalization()(x))

    filters, units = layer_sizes(width)
    inputs = keras.Input((size, size, 1))
    x = conv(inputs, filters[0], strides=2)
    for n in filters[1:]:
        x = layers.MaxPooling2D()(conv(x, n))
    x = layers.Dropout(0.3)(layers.Flatten()(x))
    x = layers.Dropout(0.3)(layers.Dense(units, activation="relu")(x))
    f32 = {"dtype": "float32"}  # the heads in float32 under mixed precision: probabilities need its range
    logits = layers.Dense(len(names), name="syllable_logits", **f32)(x)
    if not jamo:
        return keras.Model(inputs, layers.Activation("softmax", name="syllable", **f32)(logits),
                           name="drawpad_hangul")
    heads, logs, tables = [], [], []
    for part, table in jamo_of(names).items():
        part_logits = layers.Dense(JAMO_PARTS[part], name=f"{part}_logits", **f32)(x)
        heads.append(layers.Activation("softmax", name=part, **f32)(part_logits))
        logs.append(layers.Activation("log_softmax", name=f"{part}_log", **f32)(part_logits))
        tables.append(np.eye(JAMO_PARTS[part], dtype=np.float32)[table].T)  # part x syllable, 0/1
    to_syllables = layers.Dense(len(names), use_bias=False, trainable=False, name="parts_to_syllables", **f32)
    spread = to_syllables(layers.Concatenate(name="parts_log", **f32)(logs))
    to_syllables.set_weights([np.concatenate(tables)])
    total = layers.Add(name="syllable_and_parts", **f32)([logits, spread])
    syllable = layers.Activation("softmax", name="syllable", **f32)(total)
    return keras.Model(inputs, [syllable, *heads], name="drawpad_hangul_jamo")


def shipped_model(model, names: list[str], size: int, jamo: bool, width: float = 1.0):
    """The training model (of that `width`) -> the one-input, one-output model that is
    saved: 2,350 probabilities in label order (the jamo heads' own outputs only train it),
    rebuilt in float32 whatever precision trained it, so that any machine runs it as it is."""
    import keras

    keras.mixed_precision.set_global_policy("float32")
    fresh = build_model(names, size, jamo, width)
    fresh.set_weights(model.get_weights())  # variables are float32 under mixed precision too
    return keras.Model(fresh.inputs, fresh.outputs[0], name=fresh.name) if jamo else fresh


def load(data: Path):
    """Converter output folder -> (images memmap, labels, label names, preprocessing dict)."""
    for name in ("images.npy", "labels.npy", "labels.txt", "preprocessing.json"):
        if not (data / name).is_file():
            raise FileNotFoundError(f"{data / name} is missing: is {data} the output of data_tools.phd08?")
    images = np.load(data / "images.npy", mmap_mode="r")
    labels = np.load(data / "labels.npy")
    return images, labels, read_labels(data / "labels.txt"), json.loads((data / "preprocessing.json").read_text())


def writers_in(data: Path) -> list[str]:
    """The real writers whose handwriting a data folder holds (data_tools.handwriting's
    samples.csv has a writer column; fonts' data has none): a model's card lists them, so
    that no figure on a writer comes from a model that learned their hand."""
    try:
        with open(data / "samples.csv", encoding="utf-8", newline="") as fh:
            rows = csv.DictReader(fh)
            return sorted({row["writer"] for row in rows if row["writer"] != "replay"}) \
                if "writer" in (rows.fieldnames or ()) else []
    except OSError:
        return []


def check_init(path: Path, names: list[str], spec: dict) -> dict:
    """The card of a model to fine-tune. It must use the data's labels in the data's
    order, or every class would silently learn another syllable's name."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model to start from")
    card = read_card(path) or {}
    if card.get("labels") != names:
        raise ModelError(f"{path}: its labels are not the data's labels.txt (in the same order), "
                         "so it cannot be fine-tuned on this data")
    if "preprocessing" not in card:
        raise ModelError(f"{path}: its model card does not say how its input was preprocessed")
    if "members" in card:
        raise ModelError(f"{path}: it is the mean of {len(card['members'])} models, not one network to "
                         "fine-tune; start from one of the models it was made of")
    # Compared as Preprocessing: a card written before a setting existed has its default.
    was, now = Preprocessing.from_dict(card["preprocessing"]), Preprocessing.from_dict(spec)
    if was.size != now.size:
        raise ModelError(f"{path}: it takes {was.size}x{was.size} inputs, this data is {now.size}x{now.size}")
    changed = was.changes(now)
    if changed:  # allowed: fine-tuning is how a model moves to a better preprocessing
        print(f"note: {path.name} was trained on other preprocessing ({', '.join(changed)}); "
              "fine-tuning adapts it to this data's", flush=True)
    return card


def network_width(asked: float | None, init: Path | None, init_card: dict) -> float:
    """--width, or the width of the model fine-tuned (its weights fit no other)."""
    if init is None:
        return asked or 1.0
    was = width_of(init_card)
    if asked is not None and asked != was:
        raise ModelError(f"{init}: it is a network of width {was:g}, so it cannot be fine-tuned at --width "
                         f"{asked:g} (leave --width out to keep its width)")
    return was


@interruptible
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m train.hangul", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="output folder of python -m data_tools.phd08")
    ap.add_argument("--out", default="models/hangul.h5", help="where to write the model (default %(default)s)")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128, help="per device (default %(default)s)")
    ap.add_argument("--lr", type=float, default=2e-3, help="peak learning rate, cosine decay (default %(default)s)")
    ap.add_argument("--val-fraction", type=float, default=0.03)
    ap.add_argument("--strategy", default="auto", choices=["auto", "default", "mirrored", "tpu", "multiworker"],
                    help=STRATEGY_HELP)
    ap.add_argument("--backup", help="folder for resumable training state (default: <out>.backup; "
                    "in Colab put it on Drive)")
    ap.add_argument("--held-out-fonts", nargs="+", default=[], metavar="FONT",
                    help="font files kept out of the data for testing; recorded in the model card "
                         "for benchmarks/hangul_accuracy.py (with --init: the starting model's)")
    ap.add_argument("--init", type=Path, metavar="MODEL",
                    help="start from this network's weights (a model train.hangul wrote) to fine-tune it on "
                         "new data; its labels and input size must be the data's. models/hangul.h5 is a mean "
                         "of two networks: train.personalize fine-tunes it")
    ap.add_argument("--average-with", type=Path, metavar="MODEL",
                    help="a Hangul model trained before on data of the same labels and preprocessing: "
                         "the output is one model giving the mean of its and the new model's probabilities")
    ap.add_argument("--width", type=positive, metavar="F",
                    help="the network F times as wide: every convolution's filters and the Dense units "
                         "(multiples of 8), recorded in the card (default: 1, or the --init model's width)")
    ap.add_argument("--plain", action="store_true",
                    help="no jamo heads: one 2,350-way output, as models before them (for comparison)")
    ap.add_argument("--precision", default="float32", choices=["float32", "mixed_bfloat16", "mixed_float16"],
                    help="compute precision while training; the saved weights are float32. mixed_bfloat16 "
                         "pays only on CPUs with AVX512-BF16 or AMX (10x slower without), mixed_float16 on "
                         "a GPU (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from train.common import (ClusterError, confusions, finish, fit, inked_rows, mean_with, members_of,
                              predict_classes, provenance, training_seconds)
    made_by = provenance("train.hangul", argv)

    try:
        images, labels, names, spec = load(args.data)
        # read now: --out may be the same file and replace it
        init_card = check_init(args.init, names, spec) if args.init else {}
        width = network_width(args.width, args.init, init_card)
        members, member_cards = (members_of(args.average_with, names, Preprocessing.from_dict(spec))
                                 if args.average_with else ([], []))
        parts = None if args.plain else jamo_of(names)
    except (OSError, ValueError, ModelError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    import keras

    keras.utils.set_random_seed(args.seed)
    keras.mixed_precision.set_global_policy(args.precision)
    jamo = not args.plain
    rows = inked_rows(images)
    if len(rows) < len(labels):
        print(f"skipping {len(labels) - len(rows)} blank samples (the converter zero-fills unusable ones)")
    order = rows[np.random.default_rng(args.seed).permutation(len(rows))]
    n_val = max(1, int(len(labels) * args.val_fraction))
    val, train = np.sort(order[:n_val]), np.sort(order[n_val:])
    print(f"{len(train)} training and {n_val} validation samples, {len(names)} syllables", flush=True)
    t0 = time.time()
    # Rows, not copies: batches are read from the memory-mapped array as needed.
    try:
        model, backup = fit(lambda: build_model(names, images.shape[1], jamo, width),
                            (images, labels, train), (images, labels, val), args.out,
                            epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                            strategy=args.strategy, backup=args.backup, label_smoothing=0.1, seed=args.seed,
                            init=args.init, parts=parts)
    except ClusterError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if model is None:  # one of several workers, not the chief: the chief wrote the model
        return 0
    model = shipped_model(model, names, images.shape[1], jamo, width)

    def val_accuracy(pred: np.ndarray) -> float:
        return round(float(np.mean(pred == labels[val])), 4)

    val_pred = predict_classes(model, images[val])
    card = {
        "name": "hangul",
        "labels": names,
        "preprocessing": spec,
        "input_shape": [images.shape[1], images.shape[1], 1],
        "trained_on": f"{len(train)} samples from {args.data.name}"
                      + (f", starting from {args.init.name} ({init_card.get('trained_on', 'data not recorded')})"
                         if args.init else ""),
        "val_accuracy": val_accuracy(val_pred),
        # a fine-tuned model keeps its start's test fonts unless told otherwise
        "held_out_fonts": args.held_out_fonts or init_card.get("held_out_fonts", []),
        # the writers of the data and of the model it started from
        "writers": sorted(set(writers_in(args.data)) | set(init_card.get("writers", []))),
        "heads": "syllable + initial, vowel, final (jamo)" if jamo else "syllable",
        "width": width,
        "precision": args.precision,
        "train_seconds": round(training_seconds(backup)),  # every run's epochs, if it was resumed
        **made_by,
    }
    if members:
        print(f"validation accuracy of the new model alone: {card['val_accuracy']:.4f}", flush=True)
        model, card = mean_with(members, member_cards, model, card,
                                ("trained_on", "val_accuracy", "held_out_fonts", "train_seconds",
                                 "width", "command", "commit"))
        val_pred = predict_classes(model, images[val])
        card.update(val_accuracy=val_accuracy(val_pred))
    out, curve, confused = finish(model, args.out, card, backup, confusions(labels[val], val_pred, names))
    print(f"validation accuracy {card['val_accuracy']:.4f}; wrote {out} ({out.stat().st_size / 1e6:.1f} MB), "
          f"{curve.name}, {confused.name} in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
