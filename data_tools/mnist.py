"""MNIST from local idx(.gz) files or a Keras-layout mnist.npz.

Only when no path is given does it fall back to keras.datasets.mnist.load_data(),
which downloads (that is what works in Colab).
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from drawpad.errors import DataError

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: str | Path) -> np.ndarray:
    """One idx file (plain or .gz) -> array with its stored shape."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read ({e})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in IDX_DTYPES:
        raise DataError(f"{path}: not an unsigned-byte idx file")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(data) != header + int(np.prod(shape)):
        raise DataError(f"{path}: size does not match its header shape {shape}")
    return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def _find_idx(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx")):
        if (directory / name).exists():
            return directory / name
    raise DataError(f"{directory}: no {stem}[.gz] file")


def load_mnist(path: str | Path | None = None):
    """-> (x_train, y_train), (x_test, y_test): uint8, white digits on black, 28x28.

    path: a folder of the four idx(.gz) files, or a Keras-layout mnist.npz;
    None downloads through keras.datasets.mnist (Colab).
    """
    if path is None:
        from drawpad.engine import import_keras

        return import_keras().datasets.mnist.load_data()
    path = Path(path)
    if path.is_dir():
        arrays = {k: read_idx(_find_idx(path, stem)) for k, stem in IDX_FILES.items()}
    elif path.suffix == ".npz":
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in IDX_FILES}
        except (OSError, ValueError, KeyError) as e:
            raise DataError(f"{path}: not a Keras-layout mnist.npz ({e})") from None
    else:
        raise DataError(f"{path}: expected a folder of idx files or an mnist.npz")
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DataError(f"{path}: {part} images {x.shape} and labels {y.shape} do not match")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
