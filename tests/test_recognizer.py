import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from drawpad import ModelError, Prediction, Recognizer
from drawpad.errors import ImageError
from drawpad.model_card import write_card
from tests.conftest import DIGIT_MODEL, ROOT, need, save_tiny_model, stroke_image

SEVEN = [[(120, 100), (280, 100), (180, 330)]]


@pytest.mark.parametrize("shape, softmax, functional", [
    ((28, 28, 1), True, False),
    ((28, 28), False, False),
    ((784,), True, True),
    ((60, 60, 1), False, True),
])
def test_contract_on_the_shapes_users_produce(tmp_path, shape, softmax, functional):
    path = save_tiny_model(tmp_path / "m.h5", shape, 10, softmax, functional)
    rec = Recognizer.from_file(path)
    assert rec.labels == [str(d) for d in range(10)]
    assert rec.spec.size == shape[0] if len(shape) > 1 else rec.spec.size == 28
    preds = rec.recognize(stroke_image(SEVEN), top=3)
    assert len(preds) == 3 and all(isinstance(p, Prediction) for p in preds)
    assert preds[0].probability >= preds[1].probability >= preds[2].probability
    every = rec.recognize(stroke_image(SEVEN), top=10)
    assert sorted(p.label for p in every) == rec.labels
    assert sum(p.probability for p in every) == pytest.approx(1, abs=1e-6)
    assert all(0 <= p.probability <= 1 for p in every)


def test_batch_matches_single(tmp_path):
    rec = Recognizer.from_file(save_tiny_model(tmp_path / "m.h5"))
    images = [stroke_image(SEVEN), stroke_image([[(200, 50), (200, 350)]]), stroke_image(SEVEN, pen=30)]
    batch = rec.recognize_batch(images, top=2)
    assert len(batch) == 3
    for image, preds in zip(images, batch):
        single = rec.recognize(image, top=2)
        assert [p.label for p in single] == [p.label for p in preds]
        assert single[0].probability == pytest.approx(preds[0].probability, abs=1e-5)
    assert rec.recognize_batch([], top=3) == []


def test_keras_engine_runs_one_image_compiled_and_agrees_with_the_plain_model():
    # On Keras a keypress (one image) goes through the XLA-compiled function, batches through Keras.
    rec = Recognizer.from_file(need(DIGIT_MODEL), engine="keras")
    assert rec.engine == "keras" and rec.runner._one != rec.model.predict_on_batch
    images = [stroke_image(SEVEN), stroke_image([[(200, 50), (200, 350)]])]
    x = np.stack([rec.prepare(image) for image in images])
    both = rec.probabilities(x)
    for row, one in zip(both, x):
        np.testing.assert_allclose(rec.probabilities(one[None]), row[None], atol=1e-5)


def test_without_xla_keras_serves_one_image(tmp_path, monkeypatch):
    import tensorflow as tf

    real = tf.function

    def no_xla(*args, jit_compile=None, **kwargs):  # as on a platform without XLA
        if jit_compile:
            raise RuntimeError("XLA is not available")
        return real(*args, jit_compile=jit_compile, **kwargs)

    path = save_tiny_model(tmp_path / "m.h5")
    expected = Recognizer.from_file(path, engine="keras").recognize(stroke_image(SEVEN), top=10)
    monkeypatch.setattr(tf, "function", no_xla)
    rec = Recognizer.from_file(path, engine="keras")
    assert rec.runner._one == rec.model.predict_on_batch
    got = {p.label: p.probability for p in rec.recognize(stroke_image(SEVEN), top=10)}
    assert got == pytest.approx({p.label: p.probability for p in expected}, abs=1e-5)


def test_one_thread_only_before_tensorflow_starts_and_the_same_answers(tmp_path):
    path = save_tiny_model(tmp_path / "m.h5")
    image = tmp_path / "seven.npy"
    np.save(image, stroke_image(SEVEN))
    expected = Recognizer.from_file(path).recognize(np.load(image), top=10)  # default threads here
    script = """
import json, sys
import numpy as np
import tensorflow as tf
from drawpad.engine import use_one_thread
from drawpad.recognizer import Recognizer
if sys.argv[1] == "after":
    tf.constant(1.0)  # TensorFlow has started: its thread pools exist
done = use_one_thread()
preds = Recognizer.from_file(sys.argv[2], engine="keras").recognize(np.load(sys.argv[3]), top=10)
print(json.dumps([done, tf.config.threading.get_intra_op_parallelism_threads(),
                  {p.label: p.probability for p in preds}]))
"""
    for when, done, threads in (("before", True, 1), ("after", False, 0)):
        run = subprocess.run([sys.executable, "-c", script, when, str(path), str(image)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        got = json.loads(run.stdout.strip().splitlines()[-1])
        assert got[:2] == [done, threads], when
        assert got[2] == pytest.approx({p.label: p.probability for p in expected}, abs=1e-5)


def test_bad_image_in_a_batch_is_named(tmp_path):
    rec = Recognizer.from_file(save_tiny_model(tmp_path / "m.h5"))
    with pytest.raises(ImageError, match="image 1: .*empty"):
        rec.recognize_batch([stroke_image(SEVEN), np.full((50, 50), 255, np.uint8)])


def test_labels_from_card_then_sidecar_then_argument(tmp_path):
    path = save_tiny_model(tmp_path / "m.h5", outputs=3)
    with pytest.raises(ModelError, match="3 outputs and no labels"):
        Recognizer.from_file(path)
    (tmp_path / "m.labels.txt").write_text("a\nb\nc\n", encoding="utf-8")
    assert Recognizer.from_file(path).labels == ["a", "b", "c"]
    write_card(path, {"labels": ["x", "y", "z"], "preprocessing": {"ink": "dark", "box": 24,
                                                                    "centre": "box", "stroke": None}})
    rec = Recognizer.from_file(path)
    assert rec.labels == ["x", "y", "z"] and rec.spec.ink == "dark" and rec.spec.box == 24
    (tmp_path / "given.json").write_text(json.dumps(["p", "q", "r"]), encoding="utf-8")
    assert Recognizer.from_file(path, labels=tmp_path / "given.json").labels == ["p", "q", "r"]
    assert Recognizer.from_file(path, ink="light").spec.ink == "light"


def test_mismatched_labels_are_refused(tmp_path):
    path = save_tiny_model(tmp_path / "m.h5")
    (tmp_path / "five.txt").write_text("a\nb\nc\nd\ne\n", encoding="utf-8")
    with pytest.raises(ModelError, match="10 outputs but 5 labels"):
        Recognizer.from_file(path, labels=tmp_path / "five.txt")


def test_bad_model_files_are_clear_errors(tmp_path):
    with pytest.raises(ModelError, match="no such model file"):
        Recognizer.from_file(tmp_path / "missing.h5")
    (tmp_path / "text.h5").write_text("hello")
    with pytest.raises(ModelError, match="text.h5: not a readable .h5"):
        Recognizer.from_file(tmp_path / "text.h5")
    good = save_tiny_model(tmp_path / "good.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelError, match="cut.h5"):
        Recognizer.from_file(tmp_path / "cut.h5")
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ModelError, match="empty.h5: cannot load as a Keras model"):
        Recognizer.from_file(tmp_path / "empty.h5")


def test_non_square_input_is_refused(tmp_path):
    with pytest.raises(ModelError, match="square image input"):
        Recognizer.from_file(save_tiny_model(tmp_path / "m.h5", (28, 20, 1)))


def test_top_guesses_are_a_stable_sorts_ties_in_label_order():
    from drawpad.predictions import top_indices
    rng = np.random.default_rng(0)
    for n in (10, 2350):
        for _ in range(50):
            p = np.round(rng.random((3, n)), 2)  # many ties
            for top in (1, 3, 5, n):
                assert np.array_equal(top_indices(p, top), np.argsort(-p, axis=1, kind="stable")[:, :top])
