"""An .h5 converted to ONNX once, checked against Keras, and kept for every later run.

The converted file is `<model>.onnx` beside the `.h5` (so the shipped models come
ready in models/, and a models folder copied elsewhere brings its conversions
along), or, where that folder is not writable, `<sha256>.onnx` in the user's cache
folder. Each carries in its ONNX metadata the SHA-256 of the `.h5` it was made
from and the converter's version: an edited or replaced `.h5`, or a newer
converter, finds it stale and converts again. It also carries the model card, so
recognizing needs neither h5py nor TensorFlow, and the layers that carry code
(drawpad.code_layers) if it was made with allow_code: such a conversion is used only
with allow_code again. Only files with drawpad's metadata are replaced: a user's own
`<model>.onnx` is left alone and the conversion kept in the cache folder.

A conversion that fails for the model's own sake (it cannot be exported, or its
conversion does not give Keras's answers) is remembered with the versions of the
converter, so later runs go to Keras at once until one of them changes; a converter
that is missing is not the model's fault and is not remembered.
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
from drawpad.code_layers import code_layers
from drawpad.engine import (KerasEngine, OnnxEngine, feed, import_keras, quiet_native_stderr, square_side,
                            to_probabilities)
from drawpad.model_card import read_card
from drawpad.user_folders import user_folder

# Bump when the conversion changes: every kept file made by an older one is then stale.
CONVERTER = "drawpad-onnx-2"
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
    """Where a failed conversion is remembered (JSON: the converter's versions and the
    reason), so later runs with that converter go to Keras at once."""
    return cache_dir() / f"{digest}.failed.json"


def converter_versions() -> dict:
    """What a conversion is made with besides the model: drawpad's converter, tf2onnx,
    onnx, Keras and TensorFlow. ConversionError (not the model's) where one is missing."""
    keras = import_keras()
    try:
        import onnx
        import tf2onnx  # what Keras's ONNX export runs on TensorFlow
    except ImportError as e:
        raise ConversionError(f"the converter is not installed ({e.name}): pip install tf2onnx onnx",
                              lasting=False) from None
    return {"drawpad": CONVERTER, "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__,
            "keras": keras.__version__, "tensorflow": getattr(sys.modules.get("tensorflow"), "__version__", None)}


def remembered_failure(note: Path) -> str | None:
    """Why converting failed before, if it did with the converter installed now."""
    try:
        failure = json.loads(note.read_text(encoding="utf-8"))
        return failure["reason"] if failure["converter"] == converter_versions() else None
    except (OSError, ValueError, TypeError, KeyError, ConversionError):  # none, unreadable, or no converter
        return None


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
    kept, problems, foreign = find_kept(h5, digest, allow_code)
    if kept is not None:
        return kept, _card(kept)
    for problem in problems:
        notice(problem)
    card = read_card(h5)
    failed = failure_note(digest)
    model = None
    if failed.is_file():
        model = KerasEngine.from_file(h5, allow_code)
        reason = remembered_failure(failed)
        if reason is not None:
            notice(f"{h5.name} runs on Keras: {reason} (delete {failed} to try converting again)")
            return model, card
    notice(f"converting {h5.name} for ONNX Runtime, once (later runs start at once)...")
    model = model or KerasEngine.from_file(h5, allow_code)
    try:
        versions = converter_versions()
        onnx_bytes = convert(model.model, card, digest, code_layers(h5) if allow_code else [])
    except ConversionError as e:
        notice(f"{h5.name} runs on Keras: {e}")
        if e.lasting:
            _write_atomically([failed], json.dumps({"converter": versions, "reason": str(e)}).encode())
        return model, card
    places = [p for p in kept_places(h5, digest) if p not in foreign]
    place = _write_atomically(places, onnx_bytes)
    if place is None:
        notice(f"cannot keep the conversion of {h5.name} (nowhere writable among "
               f"{', '.join(str(p.parent) for p in places)}): it is converted again next time")
    return OnnxEngine(str(place) if place else onnx_bytes, str(h5)), card


def find_kept(h5: Path, digest: str, allow_code: bool = False
              ) -> tuple[OnnxEngine | None, list[str], list[Path]]:
    """A kept conversion made from this very `.h5` by this converter (one made with
    allow_code only with allow_code), the problems with any other kept file found (stale,
    truncated, corrupt) as lines to report, and the places holding a file that is not
    drawpad's to replace: outside drawpad's cache folder, one without its metadata."""
    problems, foreign = [], []
    for place in kept_places(h5, digest):
        if not place.is_file():
            continue
        ours = place.parent == cache_dir()
        try:
            engine = OnnxEngine(str(place), str(h5))
        except Exception as e:  # onnxruntime raises its own types for a bad file
            reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
            if ours:
                problems.append(f"{place}: damaged ({reason}); converting {h5.name} again")
            else:
                foreign.append(place)
                problems.append(f"{place}: cannot be read ({reason}) and is not drawpad's to replace; "
                                f"converting {h5.name} into {cache_dir()}")
            continue
        made_from = engine.metadata.get("drawpad_source_sha256"), engine.metadata.get("drawpad_converter")
        if made_from == (digest, CONVERTER):
            if allow_code or engine.metadata.get("drawpad_code") == "[]":
                return engine, [], []
            continue  # made with allow_code: not without it (loading the .h5 refuses its code)
        if not ours and "drawpad_converter" not in engine.metadata:
            foreign.append(place)
            problems.append(f"{place} is not a conversion drawpad made: left as it is; converting "
                            f"{h5.name} into {cache_dir()}")
            continue
        problems.append(f"{place}: stale (made from another {h5.name} or by an older converter); "
                        "converting again")
    return None, problems, foreign


def _card(engine: OnnxEngine) -> dict | None:
    raw = engine.metadata.get("drawpad_card")
    return json.loads(raw) if raw else None


class ConversionError(Exception):
    """The model cannot be converted, or its conversion does not give Keras's answers.
    `lasting`: the model's own doing, so the same converter would fail again; else the
    machine's (a converter missing, a full disk)."""

    def __init__(self, message: str, lasting: bool = True):
        super().__init__(message)
        self.lasting = lasting


def convert(model, card: dict | None, digest: str, code: list[str]) -> bytes:
    """A Keras model -> ONNX bytes (with drawpad's metadata), checked against Keras.
    `code`: the model's layers that carry code (drawpad.code_layers), allowed by the user."""
    versions = converter_versions()
    import onnx

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
            # A missing module or a full disk is the machine's, not the model's.
            raise ConversionError(f"cannot convert it to ONNX ({reason})",
                                  lasting=not isinstance(e, (ImportError, OSError, MemoryError))) from None
    meta = {"drawpad_source_sha256": digest, "drawpad_converter": CONVERTER,
            "drawpad_card": json.dumps(card, ensure_ascii=False) if card else "",
            "drawpad_code": json.dumps(code, ensure_ascii=False),
            "tf2onnx": versions["tf2onnx"], "onnx": versions["onnx"]}
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
