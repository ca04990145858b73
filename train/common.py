"""Pieces every training script shares: parallel preprocessing, the training
loop (strategy, tf.data input, resumable backups, best-model keeping) and
saving a model with its card (and the command and commit that made it).
"""
from __future__ import annotations

import datetime
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import keras
import numpy as np

from drawpad.atomic import write_atomically
from drawpad.engine import quiet_native_stderr
from drawpad.errors import DrawpadError
from drawpad.model_card import write_card
from train.interrupt import TrainingInterrupted, epoch_rows, finished_epochs

ROOT = Path(__file__).resolve().parents[1]  # the checkout, where train/ is not installed


def parallel_map(fn, items, seed=None, workers: int | None = None, chunks: int = 64) -> np.ndarray:
    """fn(chunk_of_items, chunk_seed) -> array, over `workers` processes, concatenated in order.

    Each chunk gets its own seed (seed, chunk index), so results do not depend
    on the number of workers; seed None passes None through.
    """
    workers = workers or os.cpu_count() or 1
    parts = np.array_split(np.arange(len(items)), chunks)
    # Ctrl-C is for this process to handle: workers ignore it rather than each print a traceback.
    pool = ProcessPoolExecutor(workers, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN))
    try:
        futures = [pool.submit(fn, items[idx], None if seed is None else (seed, i))
                   for i, idx in enumerate(parts)]
        return np.concatenate([f.result() for f in futures])
    finally:
        pool.shutdown(cancel_futures=True)  # interrupted: drop the chunks not started yet


def git_commit(folder: str | Path = ROOT) -> str | None:
    """The short commit `folder`'s git checkout is at, "+dirty" if a tracked file is changed;
    None where `folder` is not the top of a checkout (an installed package) or git is missing."""
    folder = Path(folder).resolve()

    def git(*args) -> str:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()
    try:
        # not a checkout further up (site-packages inside some repository's virtualenv)
        if Path(git("rev-parse", "--show-toplevel")).resolve() != folder:
            return None
        commit = git("rev-parse", "--short", "HEAD")
        return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(module: str, argv: list[str] | None) -> dict:
    """The card's `command` (what reproduces the model: `module` run with these arguments,
    shell-quoted; sys.argv's when argv is None, as main(None) parses) and `commit` (git_commit).
    Taken when training starts: the checkout may change while it runs."""
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    return {"command": shlex.join(["python", "-m", module, *argv]), "commit": git_commit()}


def save_model(model, path: str | Path, card: dict) -> Path:
    """Write the .h5 under a temporary name, add its card, then rename: never a half-written model.
    The card must say what made the model (provenance)."""
    missing = {"command", "commit"} - set(card)
    if missing:
        raise ValueError(f"a model card needs {', '.join(sorted(missing))} (train.common.provenance)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path):
        with quiet_native_stderr():  # Keras's warning that .h5 is a legacy format: drawpad's format is .h5
            model.save(tmp, include_optimizer=False)  # users need the weights, not Adam's state
        write_card(tmp, {**card, "keras_version": keras.__version__,
                         "created": datetime.date.today().isoformat()})
    return write_atomically(path, write, suffix=".h5")


def inked_rows(images, chunk: int = 8192) -> np.ndarray:
    """Indices of the images with any ink (blank ones are samples the preprocessing
    refused), read in chunks so an on-disk array never comes into memory whole."""
    return np.concatenate([np.zeros(0, np.int64)] +
                          [start + np.flatnonzero(images[start:start + chunk].max(axis=(1, 2)) > 0)
                           for start in range(0, len(images), chunk)])


def predict_classes(model, images: np.ndarray) -> np.ndarray:
    """uint8 N x S x S images -> the model's top class for each."""
    return model.predict(images[..., None] / np.float32(255), verbose=0).argmax(axis=1)


def right_answers(model, images: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per image, is the model's top class the label? A blank image (one the
    preprocessing refused) counts as wrong, so accuracy is over every sample."""
    return (predict_classes(model, images) == labels) & (images.max(axis=(1, 2)) > 0)


def members_of(path: str | Path, labels: list[str], spec) -> tuple[list, list[dict]]:
    """The models in a saved model to average a new one with, and their cards.

    They must give the same labels in the same order, from the same
    preprocessing, as probabilities: else the mean would mix different things.
    A saved average gives its members, so each model in a mean weighs the same.
    """
    from drawpad import Recognizer
    from drawpad.errors import ModelError

    rec = Recognizer.from_file(path, engine="keras")  # the Keras model itself, to average
    if rec.labels != labels:
        raise ModelError(f"{path}: its labels are not this model's (in the same order), "
                         "so it cannot be averaged with it")
    if rec.spec != spec:
        raise ModelError(f"{path}: it was trained on other preprocessing ({', '.join(rec.spec.changes(spec))}); "
                         "an average feeds one input to all its models")
    if not rec.outputs_probabilities:
        raise ModelError(f"{path}: its outputs are not probabilities (no softmax), so they cannot be averaged")
    if "members" in rec.card:
        return networks(rec.model), rec.card["members"]
    summary = {k: v for k, v in rec.card.items() if k not in ("labels", "preprocessing", "input_shape")}
    return [rec.model], [summary]


def networks(model) -> list:
    """The networks a model is made of: a mean's members (averaged), else the model itself."""
    return [layer for layer in model.layers if isinstance(layer, keras.Model)] or [model]


def averaged(models: list):
    """One model whose output is the mean of the models' outputs: one call, one file."""
    inputs = keras.Input(models[0].inputs[0].shape[1:])
    outputs = []
    for i, member in enumerate(models):
        member.name = f"member_{i}"  # nested models need unique names to be saved
        outputs.append(member(inputs))
    return keras.Model(inputs, keras.layers.Average()(outputs), name=f"mean_of_{len(models)}")


def mean_card(card: dict, member_cards: list[dict]) -> dict:
    """`card` made a mean's: every member listed, and what the members saw put
    together: a font is held out of the mean only if no member saw it, and the
    mean has seen every pendigits writer and every real writer any member saw."""
    card = {**card, "members": member_cards,
            "trained_on": f"the mean of {len(member_cards)} models' probabilities (see members)"}
    if any("held_out_fonts" in m for m in member_cards):
        card["held_out_fonts"] = [f for f in member_cards[0].get("held_out_fonts", [])
                                  if all(f in m.get("held_out_fonts", []) for m in member_cards)]
    if any("pendigits_writers_seen" in m for m in member_cards):
        card["pendigits_writers_seen"] = max(m.get("pendigits_writers_seen", 0) for m in member_cards)
    if any("writers" in m for m in member_cards):
        card["writers"] = sorted({w for m in member_cards for w in m.get("writers", [])})
    return card


def mean_with(members: list, member_cards: list[dict], model, card: dict, keys: tuple) -> tuple:
    """(the mean of `members` and the new `model`, its card): the new model's card made
    the mean's (mean_card), the new one listed by its `keys`. What the card says of
    accuracy is still the new model's: the caller measures the mean and updates it."""
    return averaged([*members, model]), mean_card(card, [*member_cards, {k: card[k] for k in keys}])


class ClusterError(DrawpadError):
    """Workers of one multi-worker run that cannot train together (TF_CONFIG, their backups)."""


def cluster_size() -> int:
    """Training processes TF_CONFIG names (chief and workers; 0 without TF_CONFIG)."""
    config = os.environ.get("TF_CONFIG")
    if not config:
        return 0
    try:
        cluster = json.loads(config)["cluster"]
        return sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))
    except (ValueError, KeyError, TypeError, AttributeError):  # not JSON, no cluster, not a dict
        raise ClusterError('TF_CONFIG is not {"cluster": {"worker": ["host:port", ...]}, '
                           '"task": {"type": "worker", "index": N}}') from None


STRATEGY_HELP = ("tf.distribute strategy; auto: tpu on a TPU, multiworker when TF_CONFIG names several processes, "
                 "mirrored (every GPU) with several GPUs, else default. Two machines: set on each "
                 """TF_CONFIG='{"cluster": {"worker": ["a:2222", "b:2222"]}, "task": {"type": "worker", "index": 0}}' """
                 "(index 1 on b) and run the same command; only the chief (index 0) writes the model, and "
                 "after a worker is lost the same commands on every machine resume them all (default %(default)s)")


def pick_strategy(name: str = "auto"):
    """A tf.distribute strategy by name; auto: a TPU -> tpu, a TF_CONFIG cluster of several
    processes -> multiworker, several GPUs -> mirrored, else default. mirrored replicates
    over every GPU, else over every CPU device (one, unless split into logical devices)."""
    import tensorflow as tf

    if name == "auto":
        on_tpu = any(os.environ.get(k) for k in ("COLAB_TPU_ADDR", "TPU_NAME")) or os.path.exists("/dev/accel0")
        name = ("tpu" if on_tpu else "multiworker" if cluster_size() > 1
                else "mirrored" if len(tf.config.list_logical_devices("GPU")) > 1 else "default")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multiworker":  # reads the cluster from the TF_CONFIG environment variable
        cluster_size()  # a malformed TF_CONFIG is one line, not TensorFlow's traceback
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"unknown strategy {name!r}: use auto, default, mirrored, tpu or multiworker")


def fix_keras_multi_worker(model, strat) -> None:
    """Two Keras 3 bugs stop Model.fit under MultiWorkerMirroredStrategy (keras-team/keras#20585,
    tensorflow/tensorflow#72388); worked around for this model alone:
    - fit and evaluate first average a batch over all replicas only to learn its shapes, and
      that reduce cannot take an (images, labels) pair ("PerReplica ... to a Tensor"): the
      shapes of this worker's first replica are all the build needs;
    - each step's metrics are averaged over the replicas along axis 0, which a scalar lacks
      ("Invalid reduction dimension 0"): the steps return them with that axis."""
    symbolic_build, train_step, test_step = model._maybe_symbolic_build, model.train_step, model.test_step

    def build(iterator=None, data_batch=None):
        for _, _, batches in iterator or ():
            data_batch = keras.tree.map_structure(lambda v: strat.experimental_local_results(v)[0], next(batches))
            break
        symbolic_build(data_batch=data_batch)

    def with_axis(step):
        return lambda data: keras.tree.map_structure(lambda v: v[None], step(data))
    model._maybe_symbolic_build = build
    model.train_step, model.test_step = with_axis(train_step), with_axis(test_step)


def dataset(images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0,
            rows: np.ndarray | None = None):
    """uint8 N x S x S images (an on-disk memmap is fine) -> tf.data batches of floats in 0..1.

    Only batch indices (of `rows`, default all) are shuffled and each batch is
    read from the array on the fly, so memory stays flat whatever the data
    size; prefetching keeps the accelerator fed while the next batch is read.
    """
    import tensorflow as tf

    size = images.shape[1]

    def take(idx):
        idx = np.sort(idx)  # in order: sequential reads from a memmap
        return images[idx], labels[idx].astype(np.int32)

    def load(idx):
        x, y = tf.numpy_function(take, [idx], [tf.uint8, tf.int32])
        x = tf.reshape(tf.cast(x, tf.float32) / 255, (-1, size, size, 1))
        return x, tf.reshape(y, (-1,))

    rows = np.arange(len(images)) if rows is None else np.asarray(rows, np.int64)
    ds = tf.data.Dataset.from_tensor_slices(rows)
    if shuffle:
        ds = ds.shuffle(len(rows), seed=seed, reshuffle_each_iteration=True)
    # Whole batches only when training: TPUs need static shapes.
    ds = ds.batch(batch_size, drop_remainder=shuffle and len(rows) >= batch_size)
    options = tf.data.Options()
    # Among several workers each keeps its share of every batch: by data, there are no files to share
    # out. Each worker reads whole batches (benchmarks/input_pipeline.py compares reading with a step).
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    ds = ds.map(load, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    return ds.with_options(options)


def with_targets(ds, n_classes: int, label_smoothing: float = 0.0, tables=()):
    """dataset()'s (images, labels) batches -> what fit trains the outputs on: the labels (one-hot
    under label smoothing) and, for each extra output, its table's class of each label (parts)."""
    import tensorflow as tf

    lookups = [tf.constant(np.asarray(t, np.int32)) for t in tables]

    def targets(x, y):
        first = keras.ops.one_hot(y, n_classes) if label_smoothing else y
        return (x, (first, *[tf.gather(t, y) for t in lookups])) if lookups else (x, first)
    return ds.map(targets) if label_smoothing or lookups else ds


class KeepBest(keras.callbacks.Callback):
    """Save the weights whenever the validation accuracy (`monitor`) improves. The best
    value is kept on disk too, so a resumed run never replaces a better model with a worse one.

    Accuracy, not loss: with label smoothing and a cosine schedule val_loss can
    rise late in training while accuracy still improves.
    """

    def __init__(self, path: Path, monitor: str = "val_accuracy"):
        super().__init__()
        self.path, self.record, self.monitor = path, path.with_suffix(".json"), monitor
        self.best = json.loads(self.record.read_text()).get("val_accuracy", -1.0) if self.record.exists() else -1.0

    def on_epoch_end(self, epoch, logs=None):
        accuracy = (logs or {}).get(self.monitor)
        if accuracy is not None and accuracy > self.best:
            self.best = float(accuracy)
            # Each file whole or not at all, the weights first: a run cut off between the two leaves
            # files that load, and a record of an accuracy the weights reach, never one they do not.
            write_atomically(self.path, self.model.save_weights, suffix=".weights.h5")
            write_atomically(self.record, json.dumps({"val_accuracy": self.best, "epoch": epoch + 1}).encode())


class EpochSeconds(keras.callbacks.Callback):
    """Adds each epoch's wall time to its logs, so history.csv says how long training
    took across resumes (an epoch cut short is redone, and counted once)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = round(time.perf_counter() - self.start, 1)


def fit(build, train: tuple, val: tuple, out: str | Path, *, epochs: int, batch_size: int = 128,
        lr: float = 2e-3, strategy: str = "auto", backup: str | Path | None = None,
        patience: int = 5, label_smoothing: float = 0.0, seed: int = 0, init: str | Path | None = None,
        parts: dict[str, np.ndarray] | None = None, part_weight: float = 0.3, callbacks=()):
    """Train build() -> keras.Model on (images, labels[, rows]) tuples; returns the best model
    by validation accuracy and the backup folder (see finish). `init`: a saved model of the
    same architecture whose weights training starts from (fine-tuning).

    `parts`: for a model with more outputs after its first, one table per extra output
    mapping a label to that output's class (a syllable's vowel, say); each extra output
    is trained on its table's classes with `part_weight`, and accuracy is the first output's.

    Cosine learning-rate decay and early stopping are on, the latter only over the second
    half of the epochs: while the learning rate is high, validation accuracy is noisy, and
    a lucky early peak stopped a 16-epoch digit run after 9. The training state is
    backed up every epoch to `backup` (default: <out>.backup next to the
    output): re-running the same command after a disconnect resumes there.

    `batch_size` is per replica. With several workers (multiworker, TF_CONFIG) each trains
    on its share of every batch and backs up to its own folder (the chief to `backup`,
    worker N to <backup>.workerN), so re-running every worker's command resumes them all
    from the same epoch. Only the chief (task type chief, else worker 0) gets the model;
    the others get (None, None) once the chief's finish has written it, and drop their backup.
    """
    import tensorflow as tf

    out = Path(out)
    backup = Path(backup) if backup else out.with_name(out.stem + ".backup")
    strat = pick_strategy(strategy)
    chief = strat.extended.should_checkpoint  # False only on a multi-worker run's other workers
    if not chief:  # beside the chief's, not in it: workers may share a disk
        task = f"{strat.cluster_resolver.task_type}{strat.cluster_resolver.task_id}"
        backup = backup.with_name(f"{backup.name}.{task}")
    backup.mkdir(parents=True, exist_ok=True)
    batch = batch_size * strat.num_replicas_in_sync  # the global batch, split among the replicas
    (x, y, rows), (x_val, y_val, val_rows) = ((*part, None)[:3] for part in (train, val))
    steps = epochs * max(1, (len(x) if rows is None else len(rows)) // batch)  # a set smaller than a batch is one step
    tables = list((parts or {}).values())
    with strat.scope():
        model = build()
        if init:
            model.load_weights(init)
        loss = keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing) if label_smoothing \
            else keras.losses.SparseCategoricalCrossentropy()
        extra = [keras.losses.SparseCategoricalCrossentropy() for _ in tables]
        model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(lr, steps)),
                      loss=[loss, *extra] if tables else loss,
                      loss_weights=[1.0, *[part_weight] * len(tables)] if tables else None,
                      metrics=[["accuracy"], *[[] for _ in tables]] if tables else ["accuracy"])
    if len(model.outputs) != 1 + len(tables):
        raise ValueError(f"the model has {len(model.outputs)} outputs, parts gives tables for {len(tables)} after the first")
    several = isinstance(strat, tf.distribute.MultiWorkerMirroredStrategy)
    if several:
        fix_keras_multi_worker(model, strat)
        if len(set(every_worker(strat, finished_epochs(backup)))) > 1:
            raise ClusterError(f"the workers' backups are at different epochs (this one's: {backup}); each "
                               "resumes from its own, so put the missing ones back or delete them all to start again")
    monitor = f"val_{model.output_names[0]}_accuracy" if tables else "val_accuracy"

    def prepare(ds):
        return with_targets(ds, model.outputs[0].shape[-1], label_smoothing, tables)

    best = backup / "best.weights.h5"
    history = keras.callbacks.CSVLogger(str(backup / "history.csv"), append=True)  # spans resumes
    try:
        model.fit(prepare(dataset(x, y, batch, shuffle=True, seed=seed, rows=rows)), epochs=epochs,
                  validation_data=prepare(dataset(x_val, y_val, batch, shuffle=False, rows=val_rows)),
                  verbose=2, shuffle=False,  # the dataset shuffles itself (and Keras warns otherwise)
                  callbacks=[keras.callbacks.BackupAndRestore(str(backup / "state"), delete_checkpoint=False),
                             KeepBest(best, monitor), EpochSeconds(), history,
                             keras.callbacks.EarlyStopping(monitor, mode="max", patience=patience,
                                                           start_from_epoch=epochs // 2), *callbacks])
    except KeyboardInterrupt:
        raise TrainingInterrupted(f"interrupted with {finished_epochs(backup)} of {epochs} epochs done; "
                                  f"the same command resumes from there (state in {backup})") from None
    except tf.errors.OpError as e:
        if not several:
            raise
        raise ClusterError(f"lost another worker ({type(e).__name__}); {finished_epochs(backup)} of {epochs} "
                           f"epochs are backed up in {backup}: run every worker's command again to resume") from None
    if best.exists():
        model.load_weights(best)
    if several:  # a copy outside the strategy, so that the chief alone can predict with it and save it
        weights, model = model.get_weights(), build()
        model.set_weights(weights)
    if chief:
        if several:
            _workers_waiting.append(strat)
        return model, backup
    print(f"{task}: trained; the chief writes the model", flush=True)
    try:  # until it has (finish): should it fail, this worker's backup is needed to resume
        every_worker(strat, 0)
    except tf.errors.OpError:
        raise ClusterError(f"the chief stopped before writing the model; {task}'s backup is kept in {backup}: "
                           "run every worker's command again to resume") from None
    shutil.rmtree(backup, ignore_errors=True)
    return None, None


# The strategy of a multi-worker fit whose other workers wait until the chief's finish has written the model.
_workers_waiting = []


def every_worker(strat, value: int) -> list[int]:
    """`value` as each worker has it, in task order: a collective, so every worker must call it."""
    import tensorflow as tf

    def mine():
        return tf.constant([value])

    @tf.function  # run eagerly, the strategy warns of its overhead
    def gather():
        return strat.gather(strat.run(mine), axis=0)
    return gather().numpy().tolist()


def training_seconds(backup: Path) -> float:
    """Seconds of training the backup's history records, each epoch once (see EpochSeconds)."""
    return sum(float(r.get("seconds") or 0) for r in epoch_rows(backup).values())


def confusions(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str], n: int = 10) -> list[tuple]:
    """The n most frequent (true label, guess, count) mistakes."""
    wrong = y_true != y_pred
    pairs, counts = np.unique(np.stack([y_true[wrong], y_pred[wrong]], axis=1), axis=0, return_counts=True)
    order = np.argsort(-counts, kind="stable")[:n]
    return [(labels[pairs[i][0]], labels[pairs[i][1]], int(counts[i])) for i in order]


def write_report(backup: Path, out: Path, pairs: list[tuple]) -> tuple[Path, Path]:
    """<out>.curve.png (loss and accuracy per epoch) and <out>.confusions.txt beside the model."""
    import matplotlib
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    rows = epoch_rows(backup)
    epochs = sorted(rows)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    # a model with several outputs logs its first's accuracy as <name>_accuracy
    accuracy = next(k for k in rows[epochs[0]] if k.endswith("accuracy") and not k.startswith("val_"))
    for ax, key in zip(axes, ("loss", accuracy)):
        for prefix in ("", "val_"):
            ax.plot([e + 1 for e in epochs], [float(rows[e][prefix + key]) for e in epochs],
                    marker="o", label=(prefix or "train_") + key)
        ax.set_xlabel("epoch")
        ax.legend()
    fig.suptitle(out.name)
    fig.tight_layout()
    curve = out.with_name(out.stem + ".curve.png")
    fig.savefig(curve, dpi=80)
    plt.close(fig)
    confused = out.with_name(out.stem + ".confusions.txt")
    confused.write_text("most confused on validation (true -> guess: count)\n" +
                        "".join(f"{a} -> {b}: {c}\n" for a, b, c in pairs), encoding="utf-8")
    return curve, confused


def finish(model, out: str | Path, card: dict, backup: Path, pairs: list[tuple]) -> tuple[Path, Path, Path]:
    """Save the model with its card, write the report beside it, then drop the backup:
    the next run of the same command starts fresh (every worker's, in a multi-worker run).
    -> (model, curve, confusions) paths."""
    out = save_model(model, out, card)
    curve, confused = write_report(backup, out, pairs)
    shutil.rmtree(backup, ignore_errors=True)
    while _workers_waiting:  # the model is written: the other workers may drop their backups and end
        every_worker(_workers_waiting.pop(), 1)
    return out, curve, confused
