"""Inference engines: run a model on a batch of float32 inputs, return its raw outputs.

`OnnxEngine` (ONNX Runtime) is the default: it starts in milliseconds and never
imports TensorFlow. `KerasEngine` runs the `.h5` itself, for models that cannot
be converted, `--engine keras`, or where onnxruntime is not installed.
"""
from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from pathlib import Path

import numpy as np

from drawpad.code_layers import refuse_code
from drawpad.errors import ModelError


def square_side(shape: tuple, source: str = "<model>") -> int:
    """A model's input shape (no batch axis) -> the side of the square image it takes."""
    dims = tuple(shape)
    if len(dims) == 1 and dims[0]:  # flat vector, e.g. (784,)
        side = int(round(dims[0] ** 0.5))
        if side * side == dims[0]:
            return side
    elif len(dims) in (2, 3) and dims[0] and dims[0] == dims[1]:
        if len(dims) == 2 or dims[2] in (1, 3):
            return dims[0]
    raise ModelError(f"{source}: expected a square image input such as (28, 28), (28, 28, 1) "
                     f"or (784,), got {dims}")


def feed(batch: np.ndarray, shape: tuple) -> np.ndarray:
    """uint8 N x side x side -> float32 in 0..1, shaped as the model's input `shape`."""
    x = batch.astype(np.float32) / 255.0
    if len(shape) == 1:
        return x.reshape(len(x), -1)
    if len(shape) == 3:
        return np.repeat(x[..., None], shape[2], axis=-1)
    return x


def are_probabilities(out: np.ndarray) -> bool:
    """Does every row already sum to 1 (a softmax model), or are these logits?"""
    return bool(np.all(out >= 0) and np.allclose(out.sum(axis=1), 1, atol=1e-3))


def as_probabilities(out: np.ndarray, already: bool) -> np.ndarray:
    """Raw outputs -> probabilities: normalized if `already` probabilities, else a softmax."""
    out = np.asarray(out, dtype=np.float64)
    if not already:
        out = np.exp(out - out.max(axis=1, keepdims=True))
    return out / out.sum(axis=1, keepdims=True)


def to_probabilities(out: np.ndarray) -> np.ndarray:
    """Raw outputs -> probabilities, whichever kind they are."""
    return as_probabilities(out, are_probabilities(np.asarray(out)))


# A model at least this big (the Hangul net, 8 MB) runs one image on two threads that spin
# while waiting: p50 2.2-2.6 -> 1.6-1.8 ms a recognition here, for ~60 ms of CPU spun after
# each call (then they sleep). A digit net gains nothing, so it keeps one quiet thread.
TWO_THREADS_BYTES = 4 << 20


class OnnxEngine:
    """A converted model in ONNX Runtime. One image (a keypress) runs sequentially on one
    thread that never spins, so an idle pad keeps no core busy; a big model on two (see
    TWO_THREADS_BYTES). Batches get a second session, made on first use, that may use
    every core."""

    name = "onnx"

    def __init__(self, model: bytes | str, source: str = "<model>"):
        import onnxruntime as ort

        self._ort, self._model, self.source = ort, model, source
        size = len(model) if isinstance(model, bytes) else os.path.getsize(model)
        threads = min(2, os.cpu_count() or 1) if size >= TWO_THREADS_BYTES else 1
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if threads > 1 else "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        self._one = self._session(options)
        self._batch = None
        self._input = self._one.get_inputs()[0].name
        self.metadata = dict(self._one.get_modelmeta().custom_metadata_map)
        self.input_shape = tuple(self._one.get_inputs()[0].shape[1:])
        self.n_outputs = int(self._one.get_outputs()[0].shape[-1])

    def _session(self, options):
        return self._ort.InferenceSession(self._model, options, providers=["CPUExecutionProvider"])

    def run(self, x: np.ndarray) -> np.ndarray:
        if len(x) == 1:
            return self._one.run(None, {self._input: x})[0]
        if self._batch is None:
            options = self._ort.SessionOptions()
            options.graph_optimization_level = self._ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._batch = self._session(options)
        return self._batch.run(None, {self._input: x})[0]


class KerasEngine:
    """The .h5 run by Keras. One image goes through an XLA-compiled TensorFlow function
    (without Keras's per-call dispatch); batches through predict_on_batch."""

    name = "keras"

    def __init__(self, model):
        self.model = model
        self.input_shape = tuple(model.inputs[0].shape[1:])
        self.n_outputs = int(model.outputs[0].shape[-1])
        with quiet_native_stderr():
            self._one = _one_image_function(model, self.input_shape)

    @classmethod
    def from_file(cls, path: Path, allow_code: bool = False) -> "KerasEngine":
        return cls(load_keras_model(path, allow_code))

    def run(self, x: np.ndarray) -> np.ndarray:
        # predict_on_batch skips predict()'s per-call dataset set-up: ~1 ms vs ~35 ms.
        return np.asarray(self._one(x) if len(x) == 1 else self.model.predict_on_batch(x))


class _Quiet:
    """The one swap of file descriptor 2 that quiet_native_stderr makes: how many are inside
    it (of any thread) and the stderr to give back when the last one leaves."""

    lock = threading.Lock()
    depth = 0
    saved: int | None = None  # None: nothing swapped (no real stderr)


@contextlib.contextmanager
def quiet_native_stderr():
    """Send what C++ code writes to stderr (file descriptor 2) nowhere meanwhile.

    TensorFlow's absl and CUDA start-up lines ("All log messages before
    absl::InitializeLog()", "Could not find cuda drivers") are written there
    before TF_CPP_MIN_LOG_LEVEL is read. Real errors are Python exceptions,
    raised after stderr is back, and reported as one `error:` line. The swap is
    process-wide: threads that overlap (and nested uses) share one, and the last to
    leave gives stderr back; swapping per thread left it on /dev/null for good."""
    with _Quiet.lock:
        if _Quiet.depth == 0:
            try:
                sys.stderr.flush()
                _Quiet.saved = os.dup(2)
            except (OSError, ValueError):  # no real stderr (a notebook kernel, a service)
                _Quiet.saved = None
            else:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 2)
                os.close(devnull)
        _Quiet.depth += 1
    try:
        yield
    finally:
        with _Quiet.lock:
            _Quiet.depth -= 1
            if _Quiet.depth == 0 and _Quiet.saved is not None:
                sys.stderr.flush()
                os.dup2(_Quiet.saved, 2)
                os.close(_Quiet.saved)
                _Quiet.saved = None


def import_keras():
    """`import keras`, with TensorFlow's start-up lines kept off the terminal: stderr quiet
    meanwhile, and TensorFlow's C++ log lines off (TF_CPP_MIN_LOG_LEVEL=3) where drawpad is
    the one importing it and the user has not set that variable; never by `import drawpad`,
    so a user's own TensorFlow keeps its errors."""
    if "keras" not in sys.modules:
        if "tensorflow" not in sys.modules:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        with quiet_native_stderr():
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.config.list_physical_devices()  # CUDA's probe, while stderr is quiet
    return sys.modules["keras"]


def _one_image_function(model, feed_shape: tuple):
    """A function for one image -> its outputs, faster than model.predict_on_batch: a
    TensorFlow concrete function compiled by XLA (about 0.5 s, done here, not at the
    first keypress). Another Keras backend, or a model XLA cannot compile, gets
    predict_on_batch: this is only a speed-up."""
    keras = import_keras()
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
    time on the Keras engine, like the pad with --engine keras (the ONNX engine does so
    by itself). Training and batches want every core, so Recognizer leaves this to the
    program that owns the process. Only possible before TensorFlow starts: False, and
    nothing changed, when it has started or Keras runs on another backend."""
    keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow has started: its thread pools exist already
        return False
    return True


def load_keras_model(path: Path, allow_code: bool = False):
    """keras.models.load_model, by default without running code from the file (refused
    before Keras sees it: drawpad.code_layers); errors as ModelError."""
    if not allow_code:
        refuse_code(path)
    keras = import_keras()
    try:
        with quiet_native_stderr():
            model = keras.models.load_model(path, compile=False, safe_mode=not allow_code)
    except Exception as e:  # Keras raises many types for a bad file; all mean "cannot load"
        text = str(e).strip()
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
