"""Drop-in .h5 files: Keras 2 (tf_keras) and Keras 3 files load; code in a file is never run
unless the user asks for it; a model that does not fit is a clear error."""
import pytest

from drawpad import ModelError, Recognizer
from drawpad.cli import list_models, main
from tests.conftest import save_tiny_model, stroke_image

ONE = stroke_image([[(200, 60), (200, 340)]])


def lambda_model(path, keras_module):
    layers = keras_module.layers
    model = keras_module.Sequential([keras_module.Input((28, 28)), layers.Flatten(),
                                     layers.Lambda(lambda x: x * 2),
                                     layers.Dense(10, activation="softmax")])
    model.save(path)
    return path


def test_lambda_layer_is_refused_with_how_to_allow(tmp_path, capsys):
    import keras
    path = lambda_model(tmp_path / "lam.h5", keras)
    with pytest.raises(ModelError, match="Lambda layer.*--allow-code"):
        Recognizer.from_file(path)
    assert main(["--model", str(path), "--image", str(tmp_path / "x.png")]) == 2
    assert "Lambda" in capsys.readouterr().err
    rec = Recognizer.from_file(path, allow_code=True)  # the user asked for it knowingly
    assert len(rec.recognize(ONE, top=10)) == 10


def test_custom_layer_is_refused_by_name(tmp_path):
    import keras

    @keras.saving.register_keras_serializable("user")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return x * 2

    model = keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), Twice(),
                              keras.layers.Dense(10)])
    model.save(tmp_path / "custom.h5")
    keras.saving.get_custom_objects().clear()  # a fresh process knows no such layer
    with pytest.raises(ModelError, match="Twice.*not part of Keras"):
        Recognizer.from_file(tmp_path / "custom.h5")


def test_legacy_keras2_h5_loads_and_its_lambda_is_refused(tmp_path):
    tf_keras = pytest.importorskip("tf_keras", reason="tf_keras (Keras 2) is in the test extra")
    model = tf_keras.Sequential([tf_keras.Input((28, 28, 1)), tf_keras.layers.Conv2D(4, 3),
                                 tf_keras.layers.Flatten(), tf_keras.layers.Dense(10)])  # logits
    model.save(tmp_path / "k2.h5")
    rec = Recognizer.from_file(tmp_path / "k2.h5")
    preds = rec.recognize(ONE, top=10)
    assert sorted(p.label for p in preds) == list("0123456789")
    assert abs(sum(p.probability for p in preds) - 1) < 1e-5
    with pytest.raises(ModelError, match="Lambda"):
        Recognizer.from_file(lambda_model(tmp_path / "k2lam.h5", tf_keras))


def test_list_shows_cards_without_loading(tmp_path, capsys):
    from drawpad.model_card import write_card
    write_card(save_tiny_model(tmp_path / "digits.h5"), {
        "labels": list("0123456789"), "input_shape": [28, 28, 1], "test_accuracy": 0.987,
        "trained_on": "MNIST train"})
    save_tiny_model(tmp_path / "plain.h5")
    (tmp_path / "broken.h5").write_bytes(b"not hdf5")
    assert list_models(tmp_path) == 0
    out = capsys.readouterr().out
    assert "digits: digits.h5" in out and "10 labels" in out and "98.70%" in out
    assert "data: MNIST train" in out
    assert "plain: " in out and "no model card" in out
    assert "broken: " in out and "not a readable" in out
    assert list_models(tmp_path / "empty") == 0
    assert "no models in" in capsys.readouterr().out
