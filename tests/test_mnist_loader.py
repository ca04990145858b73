import gzip

import numpy as np
import pytest

from data_tools.mnist import load_mnist, read_idx
from drawpad.errors import DataError
from tests.conftest import MNIST_DIR, need


def test_loads_the_real_idx_files():
    (x, y), (xt, yt) = load_mnist(need(MNIST_DIR))
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert xt.shape == (10000, 28, 28) and yt.shape == (10000,)
    assert list(y[:8]) == [5, 0, 4, 1, 9, 2, 1, 3]  # the published first training labels
    assert list(yt[:5]) == [7, 2, 1, 0, 4]
    assert x[0].max() == 255 and x[0, 0, 0] == 0  # white digit on black


def test_loads_keras_npz_and_plain_idx(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "y_train": np.arange(5, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
              "y_test": np.arange(2, dtype=np.uint8)}
    np.savez(tmp_path / "mnist.npz", **arrays)
    (x, y), (xt, yt) = load_mnist(tmp_path / "mnist.npz")
    assert np.array_equal(x, arrays["x_train"]) and np.array_equal(yt, arrays["y_test"])

    header = bytes([0, 0, 8, 3]) + b"".join(n.to_bytes(4, "big") for n in (5, 28, 28))
    (tmp_path / "imgs").write_bytes(header + arrays["x_train"].tobytes())
    assert np.array_equal(read_idx(tmp_path / "imgs"), arrays["x_train"])


def test_truncated_and_wrong_files_are_clear_errors(tmp_path):
    good = gzip.open(need(MNIST_DIR) / "t10k-labels-idx1-ubyte.gz").read()
    (tmp_path / "cut").write_bytes(good[:-10])
    with pytest.raises(DataError, match="does not match"):
        read_idx(tmp_path / "cut")
    (tmp_path / "junk.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="junk.gz"):
        read_idx(tmp_path / "junk.gz")
    with pytest.raises(DataError, match="no train-images"):
        load_mnist(tmp_path)
    with pytest.raises(DataError, match="expected a folder"):
        load_mnist(tmp_path / "cut")
