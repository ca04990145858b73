"""The ONNX engine: parity with Keras, the kept conversion, the Keras fallback, no TensorFlow to recognize."""
import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from drawpad import Recognizer
from drawpad import conversion
from drawpad.errors import ImageError
from drawpad.model_card import write_card
from tests.conftest import ROOT, save_tiny_model, stroke_image

SEVEN = [[(120, 100), (280, 100), (180, 330)]]
DRAWINGS = [stroke_image(SEVEN), stroke_image([[(200, 50), (200, 350)]]),
            stroke_image([[(100, 200), (300, 200)], [(200, 80), (200, 320)]], pen=30)]


def notices(into: list):
    return into.append


def assert_same_answers(a: Recognizer, b: Recognizer):
    for image in DRAWINGS:
        pa = {p.label: p.probability for p in a.recognize(image, top=len(a.labels))}
        pb = {p.label: p.probability for p in b.recognize(image, top=len(b.labels))}
        assert max(pa, key=pa.get) == max(pb, key=pb.get)
        assert pa == pytest.approx(pb, abs=1e-4)


@pytest.mark.parametrize("shape, softmax, functional", [
    ((28, 28, 1), True, False),
    ((28, 28), False, False),
    ((784,), True, True),
    ((60, 60, 1), False, True),
])
def test_onnx_gives_keras_answers_on_the_shapes_users_produce(tmp_path, shape, softmax, functional):
    path = save_tiny_model(tmp_path / "m.h5", shape, 10, softmax, functional)
    said = []
    onnx = Recognizer.from_file(path, notice=notices(said))
    assert onnx.engine == "onnx" and (tmp_path / "m.onnx").is_file()
    assert len(said) == 1 and "converting m.h5" in said[0]
    keras = Recognizer.from_file(path, engine="keras")
    assert keras.engine == "keras"
    assert_same_answers(onnx, keras)
    batch = onnx.recognize_batch(DRAWINGS, top=3)  # the batch session, every core
    assert [[p.label for p in preds] for preds in batch] == \
        [[p.label for p in keras.recognize(image, top=3)] for image in DRAWINGS]


def test_keras2_files_convert_too(tmp_path):
    tf_keras = pytest.importorskip("tf_keras", reason="tf_keras (Keras 2) is in the test extra")
    model = tf_keras.Sequential([tf_keras.Input((28, 28, 1)), tf_keras.layers.Conv2D(4, 3),
                                 tf_keras.layers.Flatten(), tf_keras.layers.Dense(10)])  # logits
    model.save(tmp_path / "k2.h5")
    onnx = Recognizer.from_file(tmp_path / "k2.h5", notice=lambda m: None)
    assert onnx.engine == "onnx"
    assert_same_answers(onnx, Recognizer.from_file(tmp_path / "k2.h5", engine="keras"))


def test_a_kept_conversion_is_used_and_a_changed_h5_is_never_served_a_stale_one(tmp_path):
    path = save_tiny_model(tmp_path / "m.h5")
    Recognizer.from_file(path, notice=lambda m: None)
    kept = tmp_path / "m.onnx"
    made = kept.stat().st_mtime_ns
    said = []
    assert Recognizer.from_file(path, notice=notices(said)).engine == "onnx"
    assert said == [] and kept.stat().st_mtime_ns == made  # used as it was, silently

    write_card(path, {"labels": list("abcdefghij")})  # the .h5 changes: its card now names other labels
    rec = Recognizer.from_file(path, notice=notices(said))
    assert rec.labels == list("abcdefghij")
    assert any("stale" in s for s in said) and any("converting m.h5" in s for s in said)
    assert rec.runner.metadata["drawpad_source_sha256"] == conversion.file_digest(path)


@pytest.mark.parametrize("damage", [lambda b: b[: len(b) // 3], lambda b: b"\0" * len(b), lambda b: b""])
def test_a_truncated_or_corrupt_conversion_in_the_cache_is_rebuilt_and_one_beside_the_h5_left_alone(
        tmp_path, monkeypatch, damage):
    path = save_tiny_model(tmp_path / "m.h5")
    expected = Recognizer.from_file(path, notice=lambda m: None).recognize(DRAWINGS[0], top=10)
    beside, cache = tmp_path / "m.onnx", tmp_path / "cache"
    monkeypatch.setattr(conversion, "cache_dir", lambda: cache)
    in_cache = cache / f"{conversion.file_digest(path)}.onnx"
    cache.mkdir()
    in_cache.write_bytes(damage(beside.read_bytes()))
    beside.write_bytes(damage(beside.read_bytes()))  # not drawpad's to replace: it cannot tell whose it is
    damaged = beside.read_bytes()
    said = []
    rec = Recognizer.from_file(path, notice=notices(said))
    assert rec.engine == "onnx" and len(said) == 3 and "\n" not in "".join(said)
    assert "not drawpad's to replace" in said[0] and "damaged" in said[1] and "converting m.h5" in said[2]
    assert rec.recognize(DRAWINGS[0], top=10) == pytest.approx(expected)
    assert beside.read_bytes() == damaged and in_cache.stat().st_size > 0
    said.clear()
    Recognizer.from_file(path, notice=notices(said))
    assert said == []  # rebuilt for good


def test_a_users_own_onnx_beside_the_h5_is_never_overwritten(tmp_path, monkeypatch):
    import onnx
    from onnx import TensorProto, helper

    path = save_tiny_model(tmp_path / "m.h5")
    monkeypatch.setattr(conversion, "cache_dir", lambda: tmp_path / "cache")
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "mine",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 10])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 10])])
    own = helper.make_model(graph).SerializeToString()
    (tmp_path / "m.onnx").write_bytes(own)
    said = []
    rec = Recognizer.from_file(path, notice=notices(said))
    assert rec.engine == "onnx" and (tmp_path / "m.onnx").read_bytes() == own
    assert "not a conversion drawpad made" in said[0] and str(tmp_path / "cache") in said[0]
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [f"{conversion.file_digest(path)}.onnx"]
    said.clear()
    assert Recognizer.from_file(path, notice=notices(said)).engine == "onnx" and said == []  # said once
    assert (tmp_path / "m.onnx").read_bytes() == own
    onnx.checker.check_model(own)  # a real ONNX file, only not drawpad's


def test_an_unwritable_model_folder_keeps_the_conversion_in_the_user_cache(tmp_path, monkeypatch):
    path = save_tiny_model(tmp_path / "m.h5")
    blocked = tmp_path / "a_file"
    blocked.write_text("x")  # nothing can be created under a file, even by root
    cache = tmp_path / "cache"
    monkeypatch.setattr(conversion, "cache_dir", lambda: cache)
    monkeypatch.setattr(conversion, "kept_places",
                        lambda h5, digest: [blocked / "m.onnx", cache / f"{digest}.onnx"])
    assert Recognizer.from_file(path, notice=lambda m: None).engine == "onnx"
    assert [p.name for p in cache.iterdir()] == [f"{conversion.file_digest(path)}.onnx"]
    said = []
    assert Recognizer.from_file(path, notice=notices(said)).engine == "onnx" and said == []


def test_two_processes_converting_at_once_leave_one_good_file(tmp_path):
    path = save_tiny_model(tmp_path / "m.h5")
    script = ("import sys; from drawpad import Recognizer; "
              "print(Recognizer.from_file(sys.argv[1]).recognize_batch([], 3), flush=True)")
    runs = [subprocess.Popen([sys.executable, "-c", script, str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for run in runs:
        out, err = run.communicate(timeout=240)
        assert run.returncode == 0, err[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5", "m.onnx"]  # no partial file left
    said = []
    assert Recognizer.from_file(path, notice=notices(said)).engine == "onnx" and said == []


def test_recognizing_with_a_converted_model_imports_neither_tensorflow_nor_keras(tmp_path):
    path = save_tiny_model(tmp_path / "m.h5")
    Recognizer.from_file(path, notice=lambda m: None)
    image = tmp_path / "seven.npy"
    np.save(image, DRAWINGS[0])
    script = """
import json, sys
import numpy as np
from drawpad import Recognizer
rec = Recognizer.from_file(sys.argv[1])
rec.recognize(np.load(sys.argv[2]))
rec.recognize_batch([np.load(sys.argv[2])] * 3)
print(json.dumps([rec.engine, sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras"))]))
"""
    run = subprocess.run([sys.executable, "-c", script, str(path), str(image)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout) == ["onnx", []]
    assert run.stderr == ""


def test_a_model_whose_conversion_fails_runs_on_keras_and_says_so_once(tmp_path, monkeypatch):
    path = save_tiny_model(tmp_path / "m.h5")
    monkeypatch.setattr(conversion, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(conversion, "TOLERANCE", -1.0)  # no conversion can pass the check now
    said = []
    rec = Recognizer.from_file(path, notice=notices(said))
    assert rec.engine == "keras" and not (tmp_path / "m.onnx").exists()
    assert [s for s in said if "runs on Keras" in s] and "does not match Keras" in said[-1]
    assert len(rec.recognize(DRAWINGS[0], top=10)) == 10
    said.clear()
    monkeypatch.setattr(conversion, "convert", lambda *a: pytest.fail("converted again"))
    assert Recognizer.from_file(path, notice=notices(said)).engine == "keras"
    assert len(said) == 1 and "runs on Keras" in said[0]  # remembered: no second attempt


def test_a_failure_is_remembered_only_for_the_converter_it_happened_with(tmp_path, monkeypatch):
    path = save_tiny_model(tmp_path / "m.h5")
    monkeypatch.setattr(conversion, "cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(conversion, "TOLERANCE", -1.0)
    Recognizer.from_file(path, notice=lambda m: None)
    installed = conversion.converter_versions()
    assert json.loads(conversion.failure_note(conversion.file_digest(path)).read_text())["converter"] == installed
    monkeypatch.setattr(conversion, "TOLERANCE", 1e-4)  # a newer tf2onnx that gets it right
    monkeypatch.setattr(conversion, "converter_versions", lambda: {**installed, "tf2onnx": "99.0"})
    said = []
    assert Recognizer.from_file(path, notice=notices(said)).engine == "onnx"
    assert said == ["converting m.h5 for ONNX Runtime, once (later runs start at once)..."]


def test_a_missing_converter_is_not_remembered(tmp_path, monkeypatch):
    path = save_tiny_model(tmp_path / "m.h5")
    monkeypatch.setattr(conversion, "cache_dir", lambda: tmp_path / "cache")
    with monkeypatch.context() as m:
        m.setitem(sys.modules, "tf2onnx", None)  # `import tf2onnx` fails, as where it is not installed
        said = []
        assert Recognizer.from_file(path, notice=notices(said)).engine == "keras"
        assert "not installed (tf2onnx): pip install tf2onnx onnx" in said[-1]
    assert not (tmp_path / "cache").exists()  # nothing remembered
    said = []
    assert Recognizer.from_file(path, notice=notices(said)).engine == "onnx"  # installed now: converts
    assert "converting m.h5" in said[0]


def test_a_lambda_model_with_allow_code_still_works(tmp_path):
    import keras
    from keras import layers

    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Flatten(), layers.Lambda(lambda x: x * 2),
                              layers.Dense(10, activation="softmax")])
    model.save(tmp_path / "lam.h5")
    rec = Recognizer.from_file(tmp_path / "lam.h5", allow_code=True, notice=lambda m: None)
    assert_same_answers(rec, Recognizer.from_file(tmp_path / "lam.h5", allow_code=True, engine="keras"))


def test_a_batch_survives_one_bad_image(tmp_path):
    rec = Recognizer.from_file(save_tiny_model(tmp_path / "m.h5"), notice=lambda m: None)
    empty, dot = np.full((50, 50), 255, np.uint8), stroke_image([[(200, 200)]], pen=20)
    ink = np.zeros((50, 50), np.uint8)
    images = [DRAWINGS[0], empty, DRAWINGS[1], dot, ink]
    got = rec.recognize_batch(images, top=2, errors="return")
    assert [type(g) for g in got] == [list, ImageError, list, ImageError, ImageError]
    assert "empty" in str(got[1]) and "dot" in str(got[3]) and "all ink" in str(got[4])
    assert [p.label for p in got[2]] == [p.label for p in rec.recognize(DRAWINGS[1], top=2)]
    with pytest.raises(ImageError, match="image 1: .*empty"):
        rec.recognize_batch(images, top=2)
    assert rec.recognize_batch([empty], errors="return")[0].args == ImageError(
        "the image is empty: draw something first").args


def test_overlapping_threads_always_give_stderr_back():
    from drawpad.engine import quiet_native_stderr

    def where_fd_2_goes():
        st = os.fstat(2)
        return st.st_dev, st.st_ino

    real, devnull = where_fd_2_goes(), os.stat(os.devnull)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with quiet_native_stderr():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second():
        first_in.wait(10)
        with quiet_native_stderr():
            second_in.set()
            first_out.wait(10)
            seen["after the first left"] = where_fd_2_goes()

    saved = os.dup(2)  # today's code would leave fd 2 on /dev/null: give pytest its stderr back
    try:
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(20)
        after = where_fd_2_goes()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    assert seen["after the first left"] == (devnull.st_dev, devnull.st_ino)  # the second is still inside
    assert after == real
    with quiet_native_stderr():
        with quiet_native_stderr():
            pass
        assert where_fd_2_goes() == (devnull.st_dev, devnull.st_ino)  # nested: quiet until the outer leaves
    assert where_fd_2_goes() == real


def test_importing_drawpad_leaves_tensorflows_log_level_to_the_user():
    script = """
import os, sys
from drawpad import Recognizer
from drawpad.engine import import_keras
print(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
if len(sys.argv) > 1:
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = sys.argv[1]  # the user's own choice
import_keras()
print(os.environ.get("TF_CPP_MIN_LOG_LEVEL"))
"""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    for args, want in [([], ["None", "3"]), (["1"], ["None", "1"])]:
        run = subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=240)
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout.split() == want  # drawpad quiets only the TensorFlow it imports itself


@pytest.mark.parametrize("engine", ["onnx", "keras"])
def test_no_tensorflow_lines_reach_the_terminal(tmp_path, engine):
    import cv2

    path = save_tiny_model(tmp_path / "m.h5")  # new: the first run converts it
    cv2.imwrite(str(tmp_path / "seven.png"), DRAWINGS[0])
    for _ in range(2):
        run = subprocess.run([sys.executable, "run_pad.py", "--model", str(path), "--engine", engine,
                              "--image", str(tmp_path / "seven.png")], cwd=ROOT, capture_output=True,
                             text=True, timeout=240)
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.stdout.startswith(f"{tmp_path / 'seven.png'}: ")
        lines = run.stderr.splitlines()
        assert all(line.startswith("drawpad: ") for line in lines), lines
