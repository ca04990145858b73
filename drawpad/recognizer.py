"""Recognizer: a model plus what it needs to be used right (labels, preprocessing)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from drawpad import reading
from drawpad.beam_search import Reading, line_readings, prior_for
from drawpad.conversion import Notice, open_engine, print_notice
from drawpad.engine import are_probabilities, as_probabilities, feed, square_side
from drawpad.errors import ImageError, ModelError
from drawpad.labels import DIGIT_LABELS, default_labels, read_labels, sidecar_labels
from drawpad.predictions import Prediction, ranked
from drawpad.preprocess import DIGITS_SPEC, HANGUL_SPEC, Preprocessing, preprocess


def _default_spec(size: int, labels: list[str], ink: str) -> Preprocessing:
    """Preprocessing for a model without a card: MNIST-style for digits, PHD08-style else."""
    return replace((DIGITS_SPEC if labels == DIGIT_LABELS else HANGUL_SPEC).resized(size), ink=ink)


class Recognizer:
    """Turns "dark ink on light paper" images into ranked labels.

    `runner` is an engine of drawpad.engine (ONNX Runtime or Keras); `engine` names it."""

    def __init__(self, runner, labels: list[str], spec: Preprocessing, source: str = "<model>",
                 card: dict | None = None):
        self.runner = runner
        self.labels = list(labels)
        self.spec = spec
        self.source = source
        self.card = card or {}
        self._shape = runner.input_shape
        if runner.n_outputs != len(self.labels):
            raise ModelError(f"{source}: the model has {runner.n_outputs} outputs but {len(self.labels)} labels")
        size = square_side(self._shape, source)
        if size != spec.size:
            raise ModelError(f"{source}: the model takes {size}x{size} "
                             f"images but its card says {spec.size}")
        self.outputs_probabilities = self._check_outputs()

    @property
    def engine(self) -> str:
        """"onnx" (ONNX Runtime) or "keras"."""
        return self.runner.name

    @property
    def model(self):
        """The Keras model, on the Keras engine (training code averages and fine-tunes it); else None."""
        return getattr(self.runner, "model", None)

    @classmethod
    def from_file(cls, path: str | Path, labels: str | Path | None = None,
                  ink: str | None = None, allow_code: bool = False, engine: str = "onnx",
                  notice: Notice = print_notice) -> "Recognizer":
        """Load an .h5 model; labels from `labels`, the card, a sidecar
        <model>.labels.txt or the label-set rules, in that order.

        engine "onnx" runs it on ONNX Runtime, converting it the first time (see
        drawpad.conversion), and on Keras where that cannot be done; "keras" on Keras.
        `notice` gets the one-line messages about that (by default: stderr).
        A model file that carries Python code (a Lambda layer) is refused unless
        allow_code=True: loading it would run that code."""
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"{path}: no such model file")
        runner, card = open_engine(path, engine, allow_code, notice)
        card = card or {}
        sidecar = sidecar_labels(path)
        if labels is not None:
            names = read_labels(labels)
        elif card.get("labels"):
            names = list(card["labels"])
        elif sidecar.is_file():
            names = read_labels(sidecar)
        else:
            names = default_labels(runner.n_outputs)
            if names is None:
                raise ModelError(f"{path}: {runner.n_outputs} outputs and no labels: give a labels file "
                                 f"(--labels, or {sidecar.name} beside the model)")
        size = square_side(runner.input_shape, str(path))
        if "preprocessing" in card:
            try:
                spec = Preprocessing.from_dict({**card["preprocessing"], "size": size,
                                                **({"ink": ink} if ink else {})})
            except (TypeError, ValueError) as e:
                raise ModelError(f"{path}: bad preprocessing in its model card ({e})") from None
        else:
            spec = _default_spec(size, names, ink or "light")
        return cls(runner, names, spec, source=str(path), card=card)

    def _check_outputs(self) -> bool:
        """Do the outputs already sum to 1 (softmax), or are they logits?"""
        shape = (1, self.spec.size, self.spec.size)
        noise = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
        # One image at a time, as a keypress sends them: a batch would also make Keras
        # build its predict function at load, which only batches need.
        out = np.concatenate([self.runner.run(feed(x, self._shape)) for x in (np.zeros(shape, np.uint8), noise)])
        return are_probabilities(out)

    def prepare(self, image: np.ndarray) -> np.ndarray:
        """The model input for an image (drawpad.preprocess with this model's spec)."""
        return preprocess(image, self.spec)

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """Prepared inputs (N x size x size uint8) -> N x labels probabilities."""
        return as_probabilities(self.runner.run(feed(inputs, self._shape)), self.outputs_probabilities)

    @property
    def square_script(self) -> bool:
        """Are the labels characters of a square script (Hangul syllables), whose parts may
        stand side by side? It decides how a line is split (drawpad.segment)."""
        return any("\uac00" <= label <= "\ud7a3" for label in self.labels)

    def recognize_line(self, image: np.ndarray, top: int = 3) -> list[list[Prediction]]:
        """A line of characters written left to right -> one list of predictions per
        character, each recognized as `recognize` would recognize it alone (split and read
        by drawpad.reading). A piece the preprocessing refuses (a smudge: a dot, a blob) is
        no character and is left out. ImageError if there is nothing to recognize."""
        return [c.guesses(top) for c in reading.read_line(self, image).characters()]

    def read_line(self, image: np.ndarray, n: int = 5, language: str | None = "ko") -> list[Reading]:
        """A line of characters written left to right -> its n best readings, best first
        (drawpad.beam_search.Reading: .text, .score, .characters with their labels,
        probabilities and boxes), weighing each character's guesses, the ways the line can
        be split, and for a Hangul model the Korean language model (language "ko"; None:
        the model's probabilities alone). ImageError if there is nothing to recognize."""
        prior = prior_for(language, self.square_script)
        return line_readings(reading.read_line(self, image, alternatives=self.square_script), self.labels,
                             self.square_script, n, prior)

    @property
    def default_top(self) -> int:
        """How many guesses to show: 3 for digits, 5 for bigger label sets such as Hangul."""
        return 3 if len(self.labels) <= 10 else 5

    def recognize(self, image: np.ndarray, top: int = 3) -> list[Prediction]:
        return self.recognize_batch([image], top)[0]

    def recognize_batch(self, images, top: int = 3, errors: str = "raise") -> list:
        """One list of predictions per image, in order. An image with nothing to
        recognize (empty, a dot, all ink) raises its ImageError with errors="raise";
        with errors="return" it gets that ImageError in its place and the others are
        recognized."""
        if top < 1:
            raise ValueError(f"top must be at least 1, not {top}")
        if errors not in ("raise", "return"):
            raise ValueError(f"errors must be 'raise' or 'return', not {errors!r}")
        results = self.probabilities_of(images)
        for i, result in enumerate(results):
            if isinstance(result, ImageError):
                if errors == "raise":
                    raise ImageError(str(result) if len(images) == 1 else f"image {i}: {result}") from None
            else:
                results[i] = ranked(result, self.labels, top)
        return results

    def probabilities_of(self, images) -> list:
        """Each image's probabilities over the labels (recognized as one batch), or, for an
        image with nothing to recognize, its ImageError in its place."""
        results, inputs = [], []
        for image in images:
            try:
                inputs.append(self.prepare(image))
                results.append(None)  # filled in below
            except ImageError as e:
                results.append(e)
        if inputs:
            rows = iter(self.probabilities(np.stack(inputs)))
            results = [next(rows) if r is None else r for r in results]
        return results
