"""Drop-in .h5 files: Keras 2 (tf_keras) and Keras 3 files load; code in a file is never run
unless the user asks for it; a model that does not fit is a clear error."""
import importlib

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


def nested_lambda_model(path):
    """A Functional model whose Lambda sits in a Sequential inside it."""
    import keras
    from keras import layers

    inner = keras.Sequential([keras.Input((10,)), layers.Lambda(lambda x: x * 2, name="twice")], name="inner")
    inputs = keras.Input((28, 28))
    keras.Model(inputs, inner(layers.Dense(10)(layers.Flatten()(inputs)))).save(path)
    return path


def tf_op_model(path):
    """A Keras 2 functional model calling TensorFlow functions by name (TFOpLambda layers)."""
    tf_keras = pytest.importorskip("tf_keras", reason="tf_keras (Keras 2) is in the test extra")
    inputs = tf_keras.Input((28, 28))
    tf_keras.Model(inputs, tf_keras.layers.Dense(10)(tf_keras.layers.Flatten()(inputs)) * 2.0).save(path)
    return path


@pytest.mark.parametrize("make, layer", [
    (lambda p: lambda_model(p, importlib.import_module("keras")), r"'lambda\w*' \(Lambda\)"),
    (nested_lambda_model, r"'twice' \(Lambda\)"),
    (lambda p: lambda_model(p, pytest.importorskip("tf_keras")), r"'lambda\w*' \(Lambda\)"),
    (tf_op_model, r"'tf.math.multiply\w*' \(TFOpLambda\)"),
], ids=["keras3", "nested", "keras2", "tf-op"])
@pytest.mark.parametrize("engine", ["onnx", "keras"])
def test_code_is_refused_before_keras_sees_the_file_whatever_its_version(tmp_path, monkeypatch, make, layer,
                                                                         engine):
    import keras

    path = make(tmp_path / "code.h5")
    opened = []

    def ignores_safe_mode(file, *args, **kwargs):  # Keras 3.0-3.11.2 on an .h5 (CVE-2025-9905)
        opened.append(file)
        return load(file, *args, **{**kwargs, "safe_mode": False})

    load = keras.models.load_model
    monkeypatch.setattr(keras.models, "load_model", ignores_safe_mode)
    with pytest.raises(ModelError, match=f"^{path}: layer {layer} carries code.*--allow-code"):
        Recognizer.from_file(path, engine=engine, notice=lambda m: None)
    assert opened == []


def test_a_conversion_made_with_allow_code_is_not_used_without_it(tmp_path):
    import keras

    path = lambda_model(tmp_path / "lam.h5", keras)
    assert Recognizer.from_file(path, allow_code=True, notice=lambda m: None).engine == "onnx"
    kept = (tmp_path / "lam.onnx").read_bytes()
    with pytest.raises(ModelError, match="Lambda"):
        Recognizer.from_file(path, notice=lambda m: None)
    assert (tmp_path / "lam.onnx").read_bytes() == kept
    said = []
    assert Recognizer.from_file(path, allow_code=True, notice=said.append).engine == "onnx" and said == []

    plain = save_tiny_model(tmp_path / "plain.h5")  # no code: allow_code changes nothing
    Recognizer.from_file(plain, allow_code=True, notice=lambda m: None)
    assert Recognizer.from_file(plain, notice=said.append).engine == "onnx" and said == []


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
