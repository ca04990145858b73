"""The real pad window learning the user's hand in the background (Xvfb + xdotool): the model
is swapped for the personal one without a restart, and a run that stops leaves the pad as it was."""
import subprocess
import time

from tests.conftest import DIGIT_MODEL, MNIST_DIR, need, own_data
from tests.window import PadWindow, xvfb  # noqa: F401 (fixture)


ONE = [(240, 80)] + [(240, 80 + 20 * i) for i in range(1, 15)]


def correct_two(pad):
    for pick in ("2", "1"):
        pad.stroke(ONE)
        pad.key("space")
        pad.next_line("prediction: ")
        pad.key(pick)
        pad.next_line("sample: ")
        pad.key("c")


def test_correct_and_the_personal_model_is_swapped_in_without_a_restart(xvfb, tmp_path):
    need(DIGIT_MODEL), need(MNIST_DIR)  # what train.personalize replays for digits
    pad = PadWindow(xvfb, "--samples", str(tmp_path), "--learn-every", "2", env=own_data(tmp_path))
    try:
        correct_two(pad)
        assert pad.next_line("learning: ").startswith("learning: learning your hand from 2 samples")
        model = pad.next_line("model: ", timeout=300)  # train.personalize, at low priority
        assert "mnist-mine.h5" in model, model
        pad.key("c")
        pad.stroke(ONE)
        pad.key("space")
        assert pad.next_line("prediction: ").split()[1] in "0123456789"
        pad.key("b")  # back to the base model
        assert pad.next_line("model: ").startswith(f"model: {DIGIT_MODEL}")
    finally:
        assert pad.close() == 0


def test_a_personalization_that_stops_leaves_the_pad_on_its_model(xvfb, tmp_path):
    need(DIGIT_MODEL)
    pad = PadWindow(xvfb, "--samples", str(tmp_path), "--learn-every", "2", env=own_data(tmp_path))
    try:
        correct_two(pad)
        assert pad.next_line("learning: ").startswith("learning: learning your hand")
        time.sleep(1)
        subprocess.run(["pkill", "-f", f"train.personalize .*--samples {tmp_path}"], check=True)
        assert pad.next_line("learning: ", timeout=60) == "learning: "  # done, nothing learned
        pad.stroke(ONE)
        pad.key("space")
        assert pad.next_line("prediction: ").split()[1] == "1"  # the base model reads on
    finally:
        assert pad.close() == 0
    assert "error: learning failed, the model in use goes on: it was stopped (signal 15)" in pad.proc.stderr.read()
