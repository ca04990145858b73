"""The shipped digit model reads real MNIST test digits as its card says it does."""
import numpy as np

from data_tools.mnist import load_mnist
from drawpad.errors import ImageError
from tests.conftest import MNIST_500, MNIST_DIR, need


def accuracy(rec, digits, labels) -> float:
    """Through the pad's own path (dark ink on light paper, drawpad.preprocess); a digit the
    preprocessing refuses counts as wrong, as in the card's figure."""
    results = rec.recognize_batch(list(255 - digits), top=1, errors="return")
    return float(np.mean([not isinstance(r, ImageError) and r[0].label == str(y)
                          for r, y in zip(results, labels)]))


def test_reads_the_first_500_mnist_test_digits(digit_model):
    _, (digits, labels) = load_mnist(MNIST_500)
    assert accuracy(digit_model, digits, labels) >= 0.985


def test_full_data_mnist_test_accuracy_is_the_cards(digit_model):
    _, (digits, labels) = load_mnist(need(MNIST_DIR))
    assert len(digits) == 10000
    card = digit_model.card["test_accuracy"]
    assert card >= 0.99
    # the card's figure was measured on Keras at training time; another engine or a faster
    # preprocessing may move a handful of the 10,000, no more
    assert abs(accuracy(digit_model, digits, labels) - card) <= 0.001
