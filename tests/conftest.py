import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_configure(config):
    """Conversions kept in the user cache (drawpad.conversion) and samples the pad keeps
    (drawpad.samples) go to folders of this run, for this process and the ones its tests
    start, never the user's own."""
    import tempfile

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="drawpad-test-cache-")
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="drawpad-test-data-")

ROOT = Path(__file__).resolve().parents[1]
DIGIT_MODEL = ROOT / "models" / "mnist.h5"
# The full data, beside the repository: only the checks whose point is the full data use it.
SHARED = ROOT.parent / "shared" / "data"
MNIST_DIR = SHARED / "mnist"
# Small real cuts of it, committed (tests/data/README.md): everything else runs on any clone.
FIXTURES = ROOT / "tests" / "data"
MNIST_500 = FIXTURES / "mnist"  # the first 500 train and 500 test digits, idx.gz as the real files
GA_30 = FIXTURES / "phd08" / "가.txt"  # 30 samples of the real 가.txt, CRLF kept
STROKES_200 = FIXTURES / "strokes" / "pendigits-train.ndjson.gz"  # 200 digits of writers 1, 2, 29, 30


def need(path: Path) -> Path:
    """Skip where a full-data file (or a trained model) is not there; CI has them, so it fails there."""
    if not path.exists():
        message = (f"{path} not found: a full-data check (the full data sits beside the repository, "
                   "in ../shared/data; models/ is committed)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def digit_model():
    from drawpad import Recognizer
    return Recognizer.from_file(need(DIGIT_MODEL))


@pytest.fixture(scope="session")
def pendigits():
    from data_tools.strokes import load_strokes
    return load_strokes(STROKES_200)


def save_tiny_model(path, input_shape=(28, 28, 1), outputs=10, softmax=True, functional=False):
    """A small untrained Keras model in the shapes users produce, saved as .h5."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    activation = "softmax" if softmax else None
    if functional:
        inputs = keras.Input(input_shape)
        x = layers.Flatten()(inputs)
        model = keras.Model(inputs, layers.Dense(outputs, activation=activation)(x))
    else:
        model = keras.Sequential([keras.Input(input_shape), layers.Flatten(),
                                  layers.Dense(outputs, activation=activation)])
    model.save(path)
    return path


def stroke_image(strokes, size=400, pen=16):
    from drawpad.canvas import PAPER, draw_strokes
    return draw_strokes(np.full((size, size), PAPER, np.uint8), strokes, pen)


def own_data(tmp_path) -> dict:
    """Environment for a pad or server with a data folder of the test's own: the personal
    models a personalization writes stay out of the other tests' model lookup."""
    return {"XDG_DATA_HOME": str(tmp_path / "data")}


# Stands in for train.personalize (drawpad.learner's tests): its "personal model" is a copy of
# the base model and its conversion, made after --seconds; --fail fails as a real run would,
# some progress and then one error line.
# Each run writes "start" and "end" to runs.log beside --out, so two runs at once would show.
FAKE_PERSONALIZE = '''
import shutil, sys, time
from pathlib import Path
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
out = Path(args["--out"])
with open(out.with_name("runs.log"), "a") as log:
    log.write("start\\n")
try:
    time.sleep(float(args.get("--seconds", 0)))
    if "--fail" in args:
        print("some progress", file=sys.stderr)
        sys.exit("error: " + args["--fail"])
    shutil.copy(args["--model"], out)
    shutil.copy(Path(args["--model"]).with_suffix(".onnx"), out.with_suffix(".onnx"))
finally:
    with open(out.with_name("runs.log"), "a") as log:
        log.write("end\\n")
'''
