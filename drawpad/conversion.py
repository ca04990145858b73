"""An .h5 converted to ONNX once, checked against Keras, and kept for every later run.

The converted file is `<model>.onnx` beside the `.h5` (so the shipped models come
ready in models/, and a models folder copied elsewhere brings its conversions
along), or, where that folder is not writable, `<sha256>.onnx` in the user's cache
folder. Each carries in its ONNX metadata the SHA-256 of the `.h5` it was made
from and the converter's version: an edited or replaced `.h5`, or a newer
converter, finds it stale and converts again. It also carries the model card, so
recognizing needs neither h5py nor TensorFlow.
"""
from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from drawpad.atomic import write_atomically
from drawpad.engine import (KerasEngine, OnnxEngine, feed, import_keras, quiet_native_stderr, square_side,
                            to_probabilities)
from drawpad.model_card import read_card
from drawpad.user_folders import user_folder

# Bump when the conversion changes: every kept file made by an older one is then stale.
CONVERTER = "drawpad-onnx-1"
# A conversion must give the same top-1 as Keras, and probabilities this close, on every check input.
TOLERANCE = 1e-4

Notice = Callable[[str], None]


def print_notice(message: str) -> None:
    print(f"drawpad: {message}", file=sys.stderr, flush=True)


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cache_dir() -> Path:
    """The per-user cache folder for drawpad's conversions."""
    return user_folder("cache") / "onnx"


def kept_places(h5: Path, digest: str) -> list[Path]:
    """Where a conversion of `h5` may be kept, in the order they are tried."""
    return [h5.with_suffix(".onnx"), cache_dir() / f"{digest}.onnx"]


def failure_note(digest: str) -> Path:
    """Where a failed conversion is remembered, so later runs go to Keras at once."""
    return cache_dir() / f"{digest}.{CONVERTER}.failed"


def open_engine(h5: Path, engine: str = "onnx", allow_code: bool = False,
                notice: Notice = print_notice):
    """-> (engine, model card or None) for the model file `h5`.

    engine "onnx": a kept conversion if there is a good one, else convert now (and
    keep it); Keras where onnxruntime is missing or the conversion fails (each said
    in one line). engine "keras": Keras."""
    if engine == "onnx":
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            notice("onnxruntime is not installed, so models run on Keras (slower to start): "
                   "pip install onnxruntime")
        else:
            return _onnx_or_keras(h5, allow_code, notice)
    elif engine != "keras":
        raise ValueError(f"engine must be 'onnx' or 'keras', not {engine!r}")
    return KerasEngine.from_file(h5, allow_code), read_card(h5)


def _onnx_or_keras(h5: Path, allow_code: bool, notice: Notice):
    digest = file_digest(h5)
    kept, problems = find_kept(h5, digest)
    if kept is not None:
        return kept, _card(kept)
    for problem in problems:
        notice(problem)
    failed = failure_note(digest)
    card = read_card(h5)
    if failed.is_file():
        notice(f"{h5.name} runs on Keras: {failed.read_text(encoding='utf-8').strip()} "
               f"(delete {failed} to try converting again)")
        return KerasEngine.from_file(h5, allow_code), card
    notice(f"converting {h5.name} for ONNX Runtime, once (later runs start at once)...")
    model = KerasEngine.from_file(h5, allow_code)
    try:
        onnx_bytes = convert(model.model, card, digest)
    except ConversionError as e:
        notice(f"{h5.name} runs on Keras: {e}")
        _write_atomically([failed], str(e).encode())
        return model, card
    place = _write_atomically(kept_places(h5, digest), onnx_bytes)
    if place is None:
        notice(f"cannot keep the conversion of {h5.name} (neither {h5.parent} nor {cache_dir()} "
               "is writable): it is converted again next time")
    return OnnxEngine(str(place) if place else onnx_bytes, str(h5)), card


def find_kept(h5: Path, digest: str) -> tuple[OnnxEngine | None, list[str]]:
    """A kept conversion made from this very `.h5` by this converter, and the problems
    with any other kept file found (stale, truncated, corrupt), as lines to report."""
    problems = []
    for place in kept_places(h5, digest):
        if not place.is_file():
            continue
        try:
            engine = OnnxEngine(str(place), str(h5))
        except Exception as e:  # onnxruntime raises its own types for a bad file
            reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
            problems.append(f"{place}: damaged ({reason}); converting {h5.name} again")
            continue
        made_from = engine.metadata.get("drawpad_source_sha256"), engine.metadata.get("drawpad_converter")
        if made_from == (digest, CONVERTER):
            return engine, []
        problems.append(f"{place}: stale (made from another {h5.name} or by an older converter); "
                        "converting again")
    return None, problems


def _card(engine: OnnxEngine) -> dict | None:
    raw = engine.metadata.get("drawpad_card")
    return json.loads(raw) if raw else None


class ConversionError(Exception):
    """The model cannot be converted, or its conversion does not give Keras's answers."""


def convert(model, card: dict | None, digest: str) -> bytes:
    """A Keras model -> ONNX bytes (with drawpad's metadata), checked against Keras."""
    import_keras()
    try:
        import onnx
        import tf2onnx  # noqa: F401  (what Keras's ONNX export runs on TensorFlow)
    except ImportError as e:
        raise ConversionError(f"the converter is not installed ({e.name}): pip install tf2onnx onnx") from None
    shape = tuple(model.inputs[0].shape[1:])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.onnx"
        try:
            with quiet_native_stderr():
                model.export(str(path), format="onnx", verbose=False,
                             input_signature=[_input_spec(shape)])
            graph = onnx.load(str(path))
        except Exception as e:  # tf2onnx and Keras raise many types for a model they cannot export
            reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
            raise ConversionError(f"cannot convert it to ONNX ({reason})") from None
    meta = {"drawpad_source_sha256": digest, "drawpad_converter": CONVERTER,
            "drawpad_card": json.dumps(card, ensure_ascii=False) if card else "",
            "tf2onnx": _version("tf2onnx"), "onnx": onnx.__version__}
    for key, value in meta.items():
        graph.metadata_props.add(key=key, value=value)
    data = graph.SerializeToString()
    try:
        converted = OnnxEngine(data)
    except Exception as e:  # onnxruntime's own types: a graph it cannot run
        raise ConversionError(f"ONNX Runtime cannot run its conversion ({str(e).strip()[:200]})") from None
    check(model, converted, shape)
    return data


def _input_spec(shape: tuple):
    keras = import_keras()
    return keras.InputSpec(shape=(None, *shape), dtype="float32")


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def check_inputs(shape: tuple) -> np.ndarray:
    """The inputs a conversion is checked on: zeros, noise, and real pen digits
    through the pad's preprocessing (both ink polarities), fed as the model takes them."""
    from drawpad.check_drawings import drawings
    from drawpad.preprocess import DIGITS_SPEC, preprocess

    side = square_side(shape)
    spec = DIGITS_SPEC.resized(side)
    noise = np.random.default_rng(0).integers(0, 256, (2, side, side), dtype=np.uint8)
    images = [preprocess(d, spec) for d in drawings()]
    images += [255 - x for x in images]
    return feed(np.concatenate([np.zeros((1, side, side), np.uint8), noise, np.stack(images)]), shape)


def check(model, converted: OnnxEngine, shape: tuple) -> None:
    """Raise ConversionError unless the conversion gives Keras's top-1 and probabilities
    within TOLERANCE on every check input, one at a time and as a batch."""
    x = check_inputs(shape)
    with quiet_native_stderr():
        want = to_probabilities(model.predict_on_batch(x))
    for got in (to_probabilities(converted.run(x)),
                to_probabilities(np.concatenate([converted.run(x[i:i + 1]) for i in range(len(x))]))):
        worst = float(np.abs(got - want).max())
        if worst > TOLERANCE or not np.array_equal(got.argmax(1), want.argmax(1)):
            raise ConversionError(f"its ONNX conversion does not match Keras (probabilities up to "
                                  f"{worst:.2g} apart, {int((got.argmax(1) != want.argmax(1)).sum())} "
                                  f"of {len(x)} top-1 differ)")


def _write_atomically(places: list[Path], data: bytes) -> Path | None:
    """Write `data` to the first of `places` that can be written: under a temporary
    name, then renamed, so a reader (or a second process converting the same model)
    never sees a partial file. None if none could be written."""
    for place in places:
        try:
            place.parent.mkdir(parents=True, exist_ok=True)
            return write_atomically(place, data)
        except OSError:
            continue
    return None
