"""The real pad window, driven by X mouse and key events (Xvfb + xdotool)."""
import ctypes
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import DIGIT_MODEL, ROOT, need
from tests.window import PadWindow, xvfb  # noqa: F401 (fixture)


def test_draw_a_digit_press_space_read_the_prediction(xvfb):
    need(DIGIT_MODEL)
    pad = PadWindow(xvfb)
    try:
        assert pad.startup[0] == "drawpad window open, loading the model"  # before the model
        pad.key("space")
        assert pad.next_line("draw something") == "draw something first"
        # A "7": top bar, then the diagonal down.
        pad.stroke([(140, 110)] + [(140 + 10 * i, 110) for i in range(1, 21)] +
                   [(340 - 7 * i, 110 + 16 * i) for i in range(1, 16)])
        pad.key("space")
        line = pad.next_line("prediction: ")
        assert line.split()[1] == "7", line
        pad.key("c")
        pad.stroke([(240, 80)] + [(240, 80 + 20 * i) for i in range(1, 16)])  # a "1"
        pad.key("space")
        assert pad.next_line("prediction: ").split()[1] == "1"
    finally:
        assert pad.close() == 0


def test_three_digits_in_a_row_are_read_as_a_line(xvfb):
    need(DIGIT_MODEL)
    pad = PadWindow(xvfb)
    try:
        one = [(150, 80)] + [(150, 80 + 20 * i) for i in range(1, 15)]
        seven = [(300, 90)] + [(300 + 10 * i, 90) for i in range(1, 15)] + \
                [(440 - 7 * i, 90 + 16 * i) for i in range(1, 15)]
        zero = [(650 + round(70 * np.sin(t)), 200 - round(115 * np.cos(t))) for t in np.linspace(0, 6.4, 40)]
        for stroke in (one, seven, zero):
            pad.stroke(stroke)
        pad.key("space")
        line = pad.next_line("line: ")
        assert line == "line: 170", line
        guesses = [pad.next_line("prediction: ") for _ in range(3)]
        assert [g.split()[1] for g in guesses] == ["1", "7", "0"]
        pad.key("Return")
        assert pad.next_line("text: ") == "text: 170"
    finally:
        assert pad.close() == 0


def test_pick_the_second_guess_and_its_sample_appears(xvfb, tmp_path):
    need(DIGIT_MODEL)
    pad = PadWindow(xvfb, "--samples", str(tmp_path))
    try:
        pad.stroke([(240, 80)] + [(240, 80 + 20 * i) for i in range(1, 15)])  # a "1"
        pad.key("space")
        second = pad.next_line("prediction: ").split(" | ")[1].split()[0]
        pad.key("2")
        line = pad.next_line("sample: ")
        assert line.split()[1] == second
        files = list((tmp_path / "mnist" / second).glob("*.png"))
        assert len(files) == 1 and files[0].with_suffix(".json").is_file()
    finally:
        assert pad.close() == 0


HANGUL_MODEL = DIGIT_MODEL.with_name("hangul.h5")


def line(points, steps=12):
    """A straight mouse drag from the first point to the second."""
    (x0, y0), (x1, y1) = points
    return [(round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)) for i in range(steps + 1)]


def test_hangul_window_top5_compose_switch_and_text_on_exit(xvfb):
    need(HANGUL_MODEL)
    pad = PadWindow(xvfb, "--model", "hangul")
    try:
        # 가: the initial ㄱ (across, then down to the left), the vowel ㅏ (down, then a short tick).
        pad.stroke(line([(70, 130), (230, 130)]) + line([(230, 130), (170, 380)])[1:])
        pad.stroke(line([(320, 60), (320, 420)]))
        pad.stroke(line([(320, 230), (410, 230)]))
        pad.key("space")
        guesses = pad.next_line("prediction: ")[len("prediction: "):].split(" | ")
        assert len(guesses) == 5, guesses  # top 5 for Hangul
        assert "가" in [g.split()[0] for g in guesses], guesses
        pad.key("Return")  # adds the top guess to the text
        # wait for it: a key pressed while the pad is still busy could replace this one
        assert len(pad.next_line("text: ")) == len("text: ") + 1
        pad.key("m")
        assert "(10 labels)" in pad.next_line("model: ")
    finally:
        assert pad.close() == 0
    assert len(pad.next_line("text: ", timeout=5)) == len("text: ") + 1


def test_a_corrupt_model_closes_the_window_with_one_line(xvfb, tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    run = subprocess.run([sys.executable, "run_pad.py", "--model", str(bad)], cwd=ROOT,
                         env={**os.environ, "DISPLAY": xvfb}, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stdout.splitlines() == ["drawpad window open, loading the model"]
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "bad.h5" in errors[0], run.stderr
    assert "Traceback" not in run.stderr


def xcb_loads() -> bool:
    try:
        ctypes.CDLL("libxcb.so.1")
        return True
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X displays are a Linux matter")
@pytest.mark.parametrize("display", ["", ":987"])
def test_no_display_is_one_error_line_not_an_abort(display):
    # Colab, SSH without -X: OpenCV's Qt would abort the process (exit 134) with Qt's messages.
    if display and not xcb_loads():
        pytest.skip("libxcb.so.1 not found: the pad cannot ask X whether the display is there")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    run = subprocess.run([sys.executable, "run_pad.py"], cwd=ROOT, capture_output=True, text=True,
                         env={**env, **({"DISPLAY": display} if display else {})}, timeout=120)
    assert run.returncode == 2, run.stderr
    [error] = run.stderr.splitlines()
    assert error.startswith("error: ") and "--image" in error
    assert (display or "DISPLAY is not set") in error
