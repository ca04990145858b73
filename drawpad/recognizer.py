"""Recognizer: a Keras model plus what it needs to be used right (labels, preprocessing)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from drawpad.errors import ImageError, ModelError
from drawpad.labels import DIGIT_LABELS, default_labels, read_labels, sidecar_labels
from drawpad.model_card import read_card
from drawpad.preprocess import DIGITS_SPEC, HANGUL_SPEC, Preprocessing, preprocess

# TensorFlow's C++ start-up chatter is noise to a pad user.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass(frozen=True)
class Prediction:
    label: str
    probability: float


def format_line(preds: list[Prediction]) -> str:
    """Guesses as the pad prints them: `7 0.998 | 1 0.001 | 9 0.000`."""
    return " | ".join(f"{p.label} {p.probability:.3f}" for p in preds)


def _input_size(path, shape: tuple) -> tuple[int, tuple]:
    """Model input shape (no batch axis) -> (square side, shape to feed)."""
    dims = tuple(shape)
    if len(dims) == 1 and dims[0]:  # flat vector, e.g. (784,)
        side = int(round(dims[0] ** 0.5))
        if side * side == dims[0]:
            return side, dims
    elif len(dims) in (2, 3) and dims[0] and dims[0] == dims[1]:
        if len(dims) == 2 or dims[2] in (1, 3):
            return dims[0], dims
    raise ModelError(f"{path}: expected a square image input such as (28, 28), (28, 28, 1) "
                     f"or (784,), got {dims}")


def _default_spec(size: int, labels: list[str], ink: str) -> Preprocessing:
    """Preprocessing for a model without a card: MNIST-style for digits, PHD08-style else."""
    return replace((DIGITS_SPEC if labels == DIGIT_LABELS else HANGUL_SPEC).resized(size), ink=ink)


class Recognizer:
    """Turns "dark ink on light paper" images into ranked labels."""

    def __init__(self, model, labels: list[str], spec: Preprocessing, source: str = "<model>",
                 card: dict | None = None):
        self.model = model
        self.labels = list(labels)
        self.spec = spec
        self.source = source
        self.card = card or {}
        n_out = int(model.outputs[0].shape[-1])
        if n_out != len(self.labels):
            raise ModelError(f"{source}: the model has {n_out} outputs but {len(self.labels)} labels")
        size, self._feed_shape = _input_size(source, model.inputs[0].shape[1:])
        if size != spec.size:
            raise ModelError(f"{source}: the model takes {size}x{size} "
                             f"images but its card says {spec.size}")
        self._one = _one_image_function(model, self._feed_shape)
        self.outputs_probabilities = self._check_outputs()

    @classmethod
    def from_file(cls, path: str | Path, labels: str | Path | None = None,
                  ink: str | None = None, allow_code: bool = False) -> "Recognizer":
        """Load an .h5 model; labels from `labels`, the card, a sidecar
        <model>.labels.txt or the label-set rules, in that order.

        A model file that carries Python code (a Lambda layer) is refused unless
        allow_code=True: loading it would run that code."""
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"{path}: no such model file")
        card = read_card(path) or {}
        model = _load_keras_model(path, allow_code)
        n_out = int(model.outputs[0].shape[-1])
        sidecar = sidecar_labels(path)
        if labels is not None:
            names = read_labels(labels)
        elif card.get("labels"):
            names = list(card["labels"])
        elif sidecar.is_file():
            names = read_labels(sidecar)
        else:
            names = default_labels(n_out)
            if names is None:
                raise ModelError(f"{path}: {n_out} outputs and no labels: give a labels file "
                                 f"(--labels, or {sidecar.name} beside the model)")
        size, _ = _input_size(path, model.inputs[0].shape[1:])
        if "preprocessing" in card:
            try:
                spec = Preprocessing.from_dict({**card["preprocessing"], "size": size,
                                                **({"ink": ink} if ink else {})})
            except (TypeError, ValueError) as e:
                raise ModelError(f"{path}: bad preprocessing in its model card ({e})") from None
        else:
            spec = _default_spec(size, names, ink or "light")
        return cls(model, names, spec, source=str(path), card=card)

    def _forward(self, batch: np.ndarray) -> np.ndarray:
        """uint8 N x size x size -> N x labels raw outputs."""
        x = batch.astype(np.float32) / 255.0
        if len(self._feed_shape) == 1:
            x = x.reshape(len(x), -1)
        elif len(self._feed_shape) == 3:
            x = np.repeat(x[..., None], self._feed_shape[2], axis=-1)
        # For batches, predict_on_batch skips predict()'s per-call dataset set-up: ~1 ms vs ~35 ms.
        out = self._one(x) if len(x) == 1 else self.model.predict_on_batch(x)
        return np.asarray(out, dtype=np.float64)

    def _check_outputs(self) -> bool:
        """Do the outputs already sum to 1 (softmax), or are they logits?"""
        shape = (1, self.spec.size, self.spec.size)
        noise = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
        # One image at a time, as a keypress sends them: a batch would also make Keras
        # build its predict function at load, which only batches need.
        out = np.concatenate([self._forward(np.zeros(shape, np.uint8)), self._forward(noise)])
        return bool(np.all(out >= 0) and np.allclose(out.sum(axis=1), 1, atol=1e-3))

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """The model input for an image (drawpad.preprocess with this model's spec)."""
        return preprocess(image, self.spec)

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """Prepared inputs (N x size x size uint8) -> N x labels probabilities."""
        out = self._forward(inputs)
        if not self.outputs_probabilities:
            out = np.exp(out - out.max(axis=1, keepdims=True))
        return out / out.sum(axis=1, keepdims=True)

    @property
    def default_top(self) -> int:
        """How many guesses to show: 3 for digits, 5 for bigger label sets such as Hangul."""
        return 3 if len(self.labels) <= 10 else 5

    def recognize(self, image: np.ndarray, top: int = 3) -> list[Prediction]:
        return self.recognize_batch([image], top)[0]

    def recognize_batch(self, images, top: int = 3) -> list[list[Prediction]]:
        if top < 1:
            raise ValueError(f"top must be at least 1, not {top}")
        if len(images) == 0:
            return []
        inputs = []
        for i, image in enumerate(images):
            try:
                inputs.append(self.prepare(image))
            except ImageError as e:
                raise ImageError(str(e) if len(images) == 1 else f"image {i}: {e}") from None
        probs = self.probabilities(np.stack(inputs))
        best = np.argsort(-probs, axis=1, kind="stable")[:, :top]
        return [[Prediction(self.labels[j], float(p[j])) for j in row] for p, row in zip(probs, best)]


def _one_image_function(model, feed_shape: tuple):
    """A function for one image (what a keypress sends) -> its outputs, faster than
    model.predict_on_batch: a TensorFlow concrete function, called without Keras's and
    tf.function's per-call dispatch, compiled by XLA. Compiling takes about 0.5 s, so
    it is done here, not at the first keypress. Batches keep predict_on_batch: every
    new batch size would compile again. Another Keras backend, or a platform where XLA
    cannot compile the model, gets predict_on_batch too: this is only a speed-up."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return model.predict_on_batch
    import tensorflow as tf

    spec = tf.TensorSpec((1, *feed_shape), tf.float32)
    try:
        call = tf.function(lambda x: model(x, training=False), input_signature=[spec],
                           jit_compile=True).get_concrete_function()
        call(tf.zeros(spec.shape))
    except Exception:  # any failure to compile leaves Keras's own path
        return model.predict_on_batch
    return lambda x: call(tf.constant(x)).numpy()


def use_one_thread() -> bool:
    """Run each TensorFlow op on one thread, for a process that recognizes one image at a
    time, like the pad. Such a model is too small to gain from a second thread, and waking
    that thread after OpenCV's preprocessing costs more than it saves (benchmarks/threads.py,
    see README). Training and batches want every core, so Recognizer leaves this to the
    program that owns the process. Only possible before TensorFlow starts: False, and
    nothing changed, when it has started or Keras runs on another backend."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow has started: its thread pools exist already
        return False
    return True


def _load_keras_model(path: Path, allow_code: bool = False):
    """keras.models.load_model, by default without running code from the file; errors as ModelError."""
    import keras

    try:
        model = keras.models.load_model(path, compile=False, safe_mode=not allow_code)
    except Exception as e:  # Keras raises many types for a bad file; all mean "cannot load"
        text = str(e).strip()
        if "Lambda" in text and "safe_mode" in text:
            raise ModelError(f"{path}: has a Lambda layer, which is Python code stored in the file; "
                             "loading it would run that code, so it is refused. If you trust whoever "
                             "made the file, use --allow-code (Recognizer.from_file(..., "
                             "allow_code=True))") from None
        unknown = re.search(r"Unknown (?:layer|object|activation|loss)[^']*'([^']+)'|"
                            r"[Cc]ould not (?:locate|deserialize) (?:class|function) '?([\w.>]+)", text)
        if unknown:
            raise ModelError(f"{path}: uses '{unknown.group(1) or unknown.group(2)}', a custom layer "
                             "that is not part of Keras; drawpad never imports code to load a model. "
                             "Re-save it with standard Keras layers") from None
        reason = text.splitlines()[0] if text else type(e).__name__
        raise ModelError(f"{path}: cannot load as a Keras model ({reason[:300]})") from None
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ModelError(f"{path}: expected one image input and one output, got "
                         f"{len(model.inputs)} inputs and {len(model.outputs)} outputs")
    return model
