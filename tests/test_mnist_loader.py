import gzip
import hashlib

import numpy as np
import pytest

from data_tools.mnist import load_mnist, read_idx
from drawpad.errors import DataError
from tests.conftest import MNIST_500, MNIST_DIR, need

PUBLISHED_MD5 = {"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
                 "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
                 "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
                 "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"}


def test_loads_real_idx_gz_files():
    (x, y), (xt, yt) = load_mnist(MNIST_500)
    assert x.shape == (500, 28, 28) and x.dtype == np.uint8 and y.dtype == np.uint8
    assert xt.shape == (500, 28, 28) and yt.shape == (500,)
    assert list(y[:8]) == [5, 0, 4, 1, 9, 2, 1, 3]  # the published first training labels
    assert list(yt[:5]) == [7, 2, 1, 0, 4]
    assert set(y) == set(yt) == set(range(10))
    assert x[0].max() == 255 and x[0, 0, 0] == 0  # white digit on black
    assert not np.array_equal(x[0], xt[0])  # train and test files are not mixed up


def test_full_data_is_the_published_mnist():
    for stem, md5 in PUBLISHED_MD5.items():
        assert hashlib.md5(gzip.open(need(MNIST_DIR) / f"{stem}.gz").read()).hexdigest() == md5, stem
    (x, y), (xt, yt) = load_mnist(MNIST_DIR)
    assert x.shape == (60000, 28, 28) and xt.shape == (10000, 28, 28) and yt.shape == (10000,)
    (x5, y5), (xt5, yt5) = load_mnist(MNIST_500)  # the fixture is its first 500 of each
    assert np.array_equal(x[:500], x5) and np.array_equal(yt[:500], yt5) and np.array_equal(xt[:500], xt5)


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
    good = gzip.open(MNIST_500 / "t10k-labels-idx1-ubyte.gz").read()
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
