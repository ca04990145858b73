"""Layers of an .h5 model that carry code, found in its config before Keras sees the file.

Keras's `safe_mode` is what refuses a Lambda layer, and Keras 3.0-3.11.2 ignore it for
.h5 files (CVE-2025-9905): loading one runs the code stored in it. So drawpad reads the
model config itself (the HDF5 root attribute `model_config`, JSON, as Keras 2 and 3
write it) and refuses such a file, whatever the Keras version, unless the user allows it.
"""
from __future__ import annotations

import json
from pathlib import Path

from drawpad.errors import ModelError

# Layers whose point is to call a function the file names or stores: Keras's Lambda and
# Keras 2's wrappers of TensorFlow functions in a functional model.
CODE_CLASSES = {"Lambda", "TFOpLambda", "SlicingOpLambda"}


def _carries_code(obj) -> bool:
    """Is Python code serialized anywhere in this piece of config: Keras 3's lambdas
    ("__lambda__", bytecode), Keras 2's ("function_type": "lambda")?"""
    if isinstance(obj, dict):
        if obj.get("class_name") == "__lambda__" or "lambda" in (obj.get("function_type"),
                                                                  obj.get("output_shape_type")):
            return True
        return any(_carries_code(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_carries_code(v) for v in obj)
    return False


def _layers(config) -> list[dict]:
    """Every layer of a model config, those of nested models (Sequential, Functional) too."""
    found = []
    if isinstance(config, dict):
        if "class_name" in config and isinstance(config.get("config"), dict):
            found.append(config)
        for value in config.values():
            found += _layers(value)
    elif isinstance(config, list):
        for value in config:
            found += _layers(value)
    return found


def code_layers(path: str | Path) -> list[str]:
    """The layers of the .h5 at `path` that carry code, as "'name' (Class)"; nested models'
    own names are not listed, only their layers. A file without a model config (weights
    only) has none here, and Keras says what is wrong with it."""
    import h5py  # here, not at the top: recognizing a converted model never opens the .h5

    try:
        with h5py.File(path, "r") as f:
            raw = f.attrs.get("model_config")
    except OSError as e:
        raise ModelError(f"{path}: not a readable .h5 model file ({e})") from None
    if raw is None:
        return []
    try:
        config = json.loads(raw)
    except (TypeError, ValueError) as e:
        raise ModelError(f"{path}: its model config is not valid JSON ({e})") from None
    found = []
    for layer in _layers(config):
        inner = layer["config"]
        own = {k: v for k, v in inner.items() if k != "layers"}  # a nested model's layers are listed apart
        if layer["class_name"] in CODE_CLASSES or "function" in own or _carries_code(own):
            found.append(f"'{inner.get('name', layer.get('name', '?'))}' ({layer['class_name']})")
    return found


def refuse_code(path: str | Path) -> None:
    """ModelError naming the file and its layers that carry code, if any."""
    found = code_layers(path)
    if found:
        which = f"layer {found[0]} carries" if len(found) == 1 else f"layers {', '.join(found)} carry"
        raise ModelError(f"{path}: {which} code (a Lambda layer or the like): loading the file would "
                         "run it, so it is refused. "
                         "If you trust whoever made the file, use --allow-code "
                         "(Recognizer.from_file(..., allow_code=True))")
