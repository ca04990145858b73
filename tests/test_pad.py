"""The pad's state, keys and screen, without a display."""
import io

import cv2
import numpy as np
import pytest

from drawpad.pad import CANVAS, Pad
from tests.conftest import save_tiny_model


@pytest.fixture
def pad(tmp_path):
    from drawpad import Recognizer
    out = io.StringIO()
    return Pad(Recognizer.from_file(save_tiny_model(tmp_path / "m.h5")), top=3, out=out)


def drag(pad, points):
    pad.on_mouse(cv2.EVENT_LBUTTONDOWN, *points[0], 0)
    for p in points[1:]:
        pad.on_mouse(cv2.EVENT_MOUSEMOVE, *p, cv2.EVENT_FLAG_LBUTTON)
    pad.on_mouse(cv2.EVENT_LBUTTONUP, *points[-1], 0)


def test_space_on_empty_canvas_says_draw_something(pad):
    pad.on_key(ord(" "))
    assert pad.predictions == [] and pad.message == "draw something first"
    assert pad.out.getvalue().strip() == "draw something first"


def test_draw_recognize_prints_prediction_line(pad):
    drag(pad, [(200, 60), (200, 200), (200, 340)])
    pad.on_key(ord(" "))
    line = pad.out.getvalue().strip()
    assert line.startswith("prediction: ") and line.count("|") == 2
    assert len(pad.predictions) == 3


def test_undo_clear_live_and_quit(pad):
    drag(pad, [(100, 100), (300, 100)])
    drag(pad, [(200, 100), (200, 300)])
    assert len(pad.canvas.strokes) == 2
    pad.on_key(ord("z"))
    assert len(pad.canvas.strokes) == 1
    pad.on_key(ord("c"))
    assert pad.canvas.is_empty
    pad.on_key(ord("l"))
    assert pad.live
    drag(pad, [(200, 60), (200, 340)])  # live: recognized on mouse-up
    assert pad.out.getvalue().strip().startswith("prediction: ")
    assert pad.on_key(ord("q")) is False and pad.on_key(27) is False


def test_mouse_outside_canvas_is_clamped_and_moves_without_button_ignored(pad):
    pad.on_mouse(cv2.EVENT_MOUSEMOVE, 50, 50, 0)
    assert pad.canvas.is_empty
    drag(pad, [(100, 100), (CANVAS + 200, 100)])
    assert max(x for x, _ in pad.canvas.strokes[0]) == CANVAS - 1


def test_screen_shows_canvas_and_result_bars(pad):
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    frame = pad.render()
    assert frame.shape[0] > CANVAS and frame.shape[1] > CANVAS and frame.shape[2] == 3
    assert (frame[:CANVAS, 195:205] == 0).any()  # the stroke is on screen
    panel = frame[:CANVAS, CANVAS:]
    green = (panel[:, :, 1] > 150) & (panel[:, :, 0] < 120)
    assert green.any()  # probability bars are drawn
