"""A model of your hand: fine-tune a model on the drawings you corrected in the pad.

    python -m train.personalize --model mnist --samples ~/.local/share/drawpad/samples/mnist \\
        --out models/mnist-mine.h5
    python -m train.personalize --model hangul --samples DIR --data hangul_work/data --out models/hangul-mine.h5

SAMPLES is a folder of <label>/ subfolders of PNG drawings, dark ink on light paper,
with or without their .json strokes: the pad's SAMPLES/<model name>, or any folder
laid out that way. Each drawing goes through the model's own preprocessing; one with
strokes is also redrawn from them, a little distorted, at other sizes, places and
pens, as the pad would see it drawn again. The fine-tuning mixes in replays of the
base model's training data, so it keeps reading everyone else: for digits MNIST and
the pen strokes as train.digits uses them; for Hangul a converted synthesized set
(--data, as train.hangul reads it).
The result is an ordinary .h5 with its card: `run_pad.py --model models/mnist-mine.h5`.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

from drawpad.conversion import file_digest
from drawpad.errors import DrawpadError, ImageError
from drawpad.labels import DIGIT_LABELS
from drawpad.samples import model_key
from train.common import networks, provenance, save_model
from train.interrupt import interruptible

PNG = "*.png"


def read_samples(folder: Path, labels: list[str]) -> list[tuple[str, Path]]:
    """(label, PNG path) of every sample under folder/<label>/; DrawpadError, in one line,
    for no samples or labels the model does not have."""
    if not folder.is_dir():
        raise DrawpadError(f"{folder}: no such samples folder")
    found = [(unicodedata.normalize("NFC", png.parent.name), png) for png in sorted(folder.glob(f"*/{PNG}"))]
    if not found:
        raise DrawpadError(f"{folder}: no samples (expected <label>/<drawing>.png inside)")
    unknown = sorted({label for label, _ in found} - set(labels))
    if unknown:
        raise DrawpadError(f"{folder}: samples of labels the model does not have: {', '.join(unknown[:20])}")
    return found


def sample_inputs(rec, found: list[tuple[str, Path]], copies: int, rng: np.random.Generator):
    """Model inputs and label indices for the samples: each drawing as it is and `copies`
    variants of it: replays of its strokes where they were kept, else the image rewritten
    mildly (data_tools.handwriting.rewrite at half strength). DrawpadError naming any
    drawing that cannot be read or recognized."""
    from data_tools.handwriting import rewrite
    from data_tools.strokes import distorted, replay
    from drawpad.image_io import read_image
    from drawpad.preprocess import to_gray

    images, labels, bad = [], [], []
    index = {label: i for i, label in enumerate(rec.labels)}
    for label, png in found:
        try:
            drawings = [read_image(png)]
            strokes = png.with_suffix(".json")
            if strokes.is_file():
                record = json.loads(strokes.read_text(encoding="utf-8"))
                # The same hand drawing again: a little rotated, slanted, stretched, its strokes
                # moved against each other, at other sizes, places and pens; milder than
                # train.digits' distortion, which makes other writers, not this one.
                sample = {"strokes": record["strokes"]}
                drawings += [replay(distorted(sample, rng, rotate_deg=8, shear=0.15, stretch=0.1, nudge=0.02), rng)
                             for _ in range(copies)]
            else:  # a scanned or imported drawing: the same hand, written again a little differently
                drawings += [rewrite(to_gray(drawings[0]), rng, strength=0.5) for _ in range(copies)]
            for drawing in drawings:
                images.append(rec.prepare(drawing))
                labels.append(index[label])
        except (ImageError, OSError, ValueError, KeyError) as e:
            bad.append(f"{png} ({str(e).split(': ')[-1][:60]})")
    if bad:
        raise DrawpadError(f"cannot use {len(bad)} sample(s): {'; '.join(bad[:5])}")
    return np.stack(images), np.array(labels)


def base_digits(rec, args, n: int, rng: np.random.Generator):
    """Replays of what a digit model was trained on: MNIST train (augmented as train.digits
    does) and pen strokes of the writers its card says it saw."""
    from data_tools.mnist import load_mnist
    from data_tools.strokes import load_strokes, writer
    from train.common import parallel_map
    from train.digits import LOCAL_MNIST, LOCAL_STROKES, preprocess_digits, preprocess_strokes

    mnist = args.mnist or next((str(p) for p in LOCAL_MNIST if p.exists()), None)
    (x, y), _ = load_mnist(mnist)
    pick = rng.choice(len(x), n // 2, replace=False)
    images = [parallel_map(preprocess_digits, x[pick], seed=int(rng.integers(1 << 30)))]
    labels = [y[pick].astype(np.int64)]
    strokes = args.strokes or next((str(p) for p in LOCAL_STROKES if p.is_file()), None)
    if strokes and strokes != "none":
        seen = rec.card.get("pendigits_writers_seen", 30)
        pen = [s for s in load_strokes(strokes) if writer(s) <= seen]
        chosen = np.array([pen[i] for i in rng.choice(len(pen), n - n // 2)], dtype=object)
        images.append(parallel_map(preprocess_strokes, chosen, seed=int(rng.integers(1 << 30))))
        labels.append(np.array([int(s["label"]) for s in chosen]))
    return np.concatenate(images), np.concatenate(labels)


def replay_file(path: Path, card: dict) -> Path | None:
    """The replay set shipped beside a model (<model>.replay.npz, train.hangul_recipe writes it),
    or beside the model a personal model was made from."""
    for model in (path, Path(card.get("personalized_from", path))):
        found = model.with_name(model.stem + ".replay.npz")
        if found.is_file():
            return found
    return None


def base_hangul(rec, path: Path, data: Path | None, n: int, rng: np.random.Generator):
    """Replays of the model's training data: --data (data_tools.phd08's output, as train.hangul
    reads it), else the replay set shipped beside the model."""
    if data is None:
        shipped = replay_file(path, rec.card)
        if shipped is None:
            raise DrawpadError(f"{path.name} has no replay set beside it ({path.stem}.replay.npz): give --data, a "
                               "converted set of its training data, so that it keeps reading everyone else")
        with np.load(shipped) as found:
            images, labels = found["images"], found["labels"].astype(np.int64)
        if images.shape[1:] != tuple(rec.runner.input_shape[:2]):
            raise DrawpadError(f"{shipped}: its images are not {path.name}'s input size")
    else:
        from train.hangul import load
        try:
            images, labels, names, _ = load(data)
        except (OSError, ValueError) as e:
            raise DrawpadError(f"--data {data}: {e}") from None
        if names != rec.labels:
            raise DrawpadError(f"{data}: its labels are not the model's (in the same order)")
    pick = np.sort(rng.choice(len(images), min(n, len(images)), replace=False))
    return np.asarray(images[pick]), labels[pick].astype(np.int64)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="the model to start from: a short name (mnist, hangul) or an .h5")
    ap.add_argument("--samples", required=True, help="folder of <label>/ subfolders of PNG drawings")
    ap.add_argument("--out", required=True, help="where to write the personal model")
    ap.add_argument("--data", help="Hangul: a converted set of its training data to replay (data_tools.phd08's "
                    "output; default: the replay set shipped beside the model)")
    ap.add_argument("--mnist", help="digits: MNIST folder (default: the local copy, as train.digits)")
    ap.add_argument("--strokes", help="digits: pendigits strokes (default: the local copy; 'none': MNIST alone)")
    ap.add_argument("--replay", type=int, default=6000, help="base-data images mixed in (default %(default)s)")
    ap.add_argument("--copies", type=int, default=12,
                    help="replays of each sample whose strokes were kept (default %(default)s)")
    ap.add_argument("--train", choices=["last", "head", "all"],
                    help="what learns: the layers from the last convolution on (last), only those after "
                         "the last feature map (head), or everything (all). The rest stays as it was, "
                         "so the model forgets less of everyone else (default: all for a model with jamo "
                         "heads, whose writers it reads worst gained twice as much so; last for others)")
    ap.add_argument("--check", type=int, default=1000,
                    help="base-data images held back to measure what was forgotten (default %(default)s)")
    ap.add_argument("--parts", type=float, default=1.0,
                    help="weight of the jamo parts' loss, for a model with jamo heads (default %(default)s)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float,
                    help="learning rate (default: 1e-3 for --train last or head, 3e-4 for all: fewer layers "
                         "learning need bigger steps to learn a habit in a few epochs)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    made_by = provenance("train.personalize", argv)
    start = time.perf_counter()
    from drawpad import Recognizer
    from drawpad.model_files import resolve_model

    try:
        path = resolve_model(args.model)
        rec = Recognizer.from_file(path, engine="keras")
        found = read_samples(Path(args.samples), rec.labels)
        rng = np.random.default_rng(args.seed)
        x_mine, y_mine = sample_inputs(rec, found, args.copies, rng)
        if rec.labels == DIGIT_LABELS:
            x_base, y_base = base_digits(rec, args, args.replay, rng)
        else:
            x_base, y_base = base_hangul(rec, path, args.data and Path(args.data), args.replay, rng)
    except DrawpadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    counts = collections.Counter(label for label, _ in found)
    print(f"{len(found)} samples of {len(counts)} labels ({len(x_mine)} inputs with replays), "
          f"{len(x_base)} base-data replays", flush=True)
    held = min(args.check, len(x_base) // 5)  # never trained on: what the base data reads, before and after
    mixed = rng.permutation(len(x_base))  # base_digits gives MNIST, then pen strokes
    x_check, y_check = x_base[mixed[:held]], y_base[mixed[:held]]
    x_base, y_base = x_base[mixed[held:]], y_base[mixed[held:]]
    before = reads(rec, x_check, y_check)
    learning = fine_tune(rec, np.concatenate([x_mine, x_base]), np.concatenate([y_mine, y_base]), len(x_mine), args)
    after = reads(rec, x_check, y_check)
    print(f"{held} held-back base-data images: {before:.2%} read right before, {after:.2%} after", flush=True)
    card = {**{k: v for k, v in rec.card.items() if k not in ("command", "commit", "created", "keras_version")},
            **made_by, "name": Path(args.out).stem, "personalized_from": str(path), "base_sha256": file_digest(path),
            "base_model": model_key(rec.card, path),  # the pad keeps adding to the samples it was made from
            "personal_samples": dict(sorted(counts.items())), "base_replays": len(x_base), "trained_layers": learning,
            "base_check": {"images": held, "before": round(before, 5), "after": round(after, 5)},
            "personalize_seconds": round(time.perf_counter() - start)}
    out = save_model(rec.model, args.out, card)
    from drawpad.conversion import open_engine
    open_engine(out)  # converted here, once: the pad that swaps it in then opens it at once
    print(f"wrote {out} in {card['personalize_seconds']} s: python run_pad.py --model {out}")
    return 0


def reads(rec, x: np.ndarray, y: np.ndarray) -> float:
    """The share of preprocessed images `x` the Keras model reads as `y`."""
    from drawpad.engine import feed

    if not len(x):
        return float("nan")
    return float(np.mean(rec.model.predict(feed(x, rec.runner.input_shape), verbose=0).argmax(1) == y))


def fine_tune(rec, x: np.ndarray, y: np.ndarray, mine: int, args) -> str:
    """A few epochs over the samples (the first `mine` rows, learned as labelled) and the
    replays together, at a low learning rate, of the layers --train names; -> which those were.

    A replay's target is the base model's own probabilities for it, not its label: the
    personal model is taught to read everyone else as the base model did, its doubts
    included. A model with jamo heads (train.hangul) also learns each part of the samples
    (--parts weight): a correction of 뉵 teaches this hand's ㄴ, ㅠ and ㄱ, which every
    syllable with them uses. A mean of networks (train.average) trains each of them so,
    through the mean's output and each one's own jamo heads."""
    from drawpad.engine import as_probabilities, feed, import_keras

    keras = import_keras()
    model = rec.model
    nets = networks(model)
    parts_of = [jamo_parts(net, rec.labels) for net in nets]
    train = args.train or ("all" if any(parts_of) else "last")
    chosen = [learning_layers(net, train, keras) for net in nets]
    layers = [layer for net in nets for layer in net.layers if layer.weights]
    was = [layer.trainable for layer in layers]
    inputs = feed(x, rec.runner.input_shape)
    base = model.predict(inputs[mine:], batch_size=256, verbose=0)
    targets = np.zeros((len(x), len(rec.labels)), np.float32)
    targets[np.arange(mine), y[:mine]] = 1
    targets[mine:] = as_probabilities(base, rec.outputs_probabilities)
    outputs, losses, wanted = [model.outputs[0]], [keras.losses.CategoricalCrossentropy()], [targets]
    for net, parts in zip(nets, parts_of):
        logs = [net.get_layer(f"{part}_log").output for part in parts]  # log-probabilities: "logits" to the loss
        if logs and net is not model:  # a mean's member: its heads called on the mean's input
            logs = keras.Model(net.inputs, logs)(model.inputs[0])
        outputs += logs
        losses += [keras.losses.SparseCategoricalCrossentropy(from_logits=True) for _ in parts]
        wanted += [table[y] for table in parts.values()]
    if not rec.outputs_probabilities:
        outputs[0] = keras.layers.Softmax()(outputs[0])
    learning = {id(layer) for net_layers in chosen for layer in net_layers}
    for layer, trainable in zip(layers, was):
        layer.trainable = id(layer) in learning and trainable  # a fixed layer (jamo heads' spread) stays fixed
    learner = keras.Model(model.inputs, outputs)
    lr = args.lr or (3e-4 if train == "all" else 1e-3)
    learner.compile(optimizer=keras.optimizers.Adam(lr), loss=losses,
                    loss_weights=[1.0] + [args.parts] * (len(outputs) - 1))
    order = np.random.default_rng(args.seed).permutation(len(x))
    learner.fit(inputs[order], [w[order] for w in wanted], batch_size=64, epochs=args.epochs, verbose=2)
    for layer, trainable in zip(layers, was):  # saved as it came: the next fine-tuning chooses its own
        layer.trainable = trainable
    heads = f" + jamo parts x{args.parts}" if len(outputs) > 1 else ""
    return f"{train}{heads}: " + "; ".join(", ".join(layer.name for layer in net_layers if layer.trainable)
                                           for net_layers in chosen)


def learning_layers(net, train: str, keras) -> list:
    """The layers of one network that --train names, those with weights: from the last
    convolution on (last), after the last feature map (head), or all."""
    layers = [layer for layer in net.layers if layer.weights]
    convs = [i for i, layer in enumerate(layers) if isinstance(layer, keras.layers.Conv2D)]
    flat = [i for i, layer in enumerate(layers) if len(layer.output.shape) == 2]  # after the feature maps
    start = {"all": 0, "last": convs[-1] if convs else 0, "head": flat[0] if flat else 0}[train]
    return layers[start:]


def jamo_parts(model, labels: list[str]) -> dict[str, np.ndarray]:
    """For a model with train.hangul's jamo heads, each part's table (label -> that part's
    class); {} for any other model."""
    names = {layer.name for layer in model.layers}
    if not {"parts_to_syllables", "initial_log", "vowel_log", "final_log"} <= names:
        return {}
    from train.hangul import jamo_of
    try:
        return jamo_of(labels)
    except ValueError:  # labels that are not precomposed syllables
        return {}


main = interruptible(main)

if __name__ == "__main__":
    sys.exit(main())
