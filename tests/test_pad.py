"""The pad's state, keys and screen, without a display."""
import io

import cv2
import numpy as np
import pytest

from drawpad.pad import CANVAS_H, CANVAS_W, Pad
from tests.conftest import save_tiny_model


@pytest.fixture
def pad(tmp_path):
    from drawpad import Recognizer
    out = io.StringIO()
    return Pad(Recognizer.from_file(save_tiny_model(tmp_path / "m.h5")), out=out)


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


def test_the_screen_says_loading_until_the_model_has_loaded(tmp_path):
    from drawpad import Recognizer
    out = io.StringIO()
    pad = Pad(None, out=out)  # the window is up, the model still loading
    loading = pad.render()
    assert pad.dirty and pad.top == 3
    pad.loaded(Recognizer.from_file(save_tiny_model(tmp_path / "m.h5")))
    assert pad.dirty and pad.message == "draw a digit, then press SPACE"
    header = (slice(0, 60), slice(CANVAS_W, None))
    assert (pad.render()[header] != loading[header]).any()  # "loading the model..." is gone
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    assert out.getvalue().startswith("prediction: ")


def test_mouse_outside_canvas_is_clamped_and_moves_without_button_ignored(pad):
    pad.dirty = False
    pad.on_mouse(cv2.EVENT_MOUSEMOVE, 50, 50, 0)
    assert pad.canvas.is_empty and not pad.dirty  # nothing to draw again
    drag(pad, [(100, 100), (CANVAS_W + 200, CANVAS_H + 50)])
    assert max(x for x, _ in pad.canvas.strokes[0]) == CANVAS_W - 1
    assert max(y for _, y in pad.canvas.strokes[0]) == CANVAS_H - 1


def test_screen_shows_canvas_and_result_bars(pad):
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    frame = pad.render()
    assert frame.shape[0] > CANVAS_H and frame.shape[1] > CANVAS_W and frame.shape[2] == 3
    assert (frame[:CANVAS_H, 195:205] == 0).any()  # the stroke is on screen
    panel = frame[:CANVAS_H, CANVAS_W:]
    green = (panel[:, :, 1] > 150) & (panel[:, :, 0] < 120)
    assert green.any()  # probability bars are drawn


@pytest.fixture
def hangul_rec(tmp_path):
    from drawpad import Recognizer
    labels = tmp_path / "h.labels.txt"
    labels.write_text("\n".join("가나다라마바사아자차카타파하"), encoding="utf-8")
    return Recognizer.from_file(save_tiny_model(tmp_path / "h.h5", (60, 60, 1), outputs=14),
                                labels=labels)


def test_m_switches_models_and_hangul_shows_top_5(pad, hangul_rec):
    loads = []
    pad.other = lambda: loads.append(1) or hangul_rec
    digits = pad.rec
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord("m"))
    assert pad.rec is hangul_rec and pad.top == 5
    assert "model: " in pad.out.getvalue()
    last = pad.out.getvalue().strip().splitlines()[-1]  # what is on the canvas is recognized again
    assert last.startswith("prediction: ") and last.count("|") == 4
    assert last.split()[1] in "가나다라마바사아자차카타파하"
    pad.on_key(ord("M"))
    assert pad.rec is digits and pad.top == 3
    pad.on_key(ord("m"))
    assert loads == [1]  # loaded once, then kept


def test_m_without_a_loadable_model_says_why(pad):
    from drawpad.errors import ModelError

    def missing():
        raise ModelError("no models/hangul.h5")
    pad.other = missing
    pad.on_key(ord("m"))
    assert pad.message == "no models/hangul.h5" and pad.rec is not None


def test_enter_composes_text_and_backspace_deletes(pad, hangul_rec):
    pad.rec = hangul_rec
    pad.on_key(13)  # nothing drawn: nothing added
    assert pad.text == "" and pad.message == "draw something first"
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(13)
    first = pad.text
    assert len(first) == 1 and first in "가나다라마바사아자차카타파하"
    assert pad.canvas.is_empty  # ready for the next character
    drag(pad, [(100, 200), (300, 200)])
    pad.on_key(ord(" "))
    pad.on_key(10)
    assert len(pad.text) == 2 and pad.text[0] == first
    both = pad.text
    pad.on_key(8)
    assert pad.text == first
    pad.on_key(127)
    pad.on_key(8)  # deleting from empty text is harmless
    assert pad.text == ""
    printed = [line for line in pad.out.getvalue().splitlines() if line.startswith("text: ")]
    assert printed == [f"text: {t}" for t in (first, both, first, "")]  # each change, once


def test_hangul_labels_and_text_are_drawn_not_question_marks(pad, hangul_rec):
    from drawpad.text import korean_font_path
    if korean_font_path() is None:
        pytest.skip("no Korean font installed (apt-get install fonts-nanum)")
    pad.rec = hangul_rec
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(13)
    frame = pad.render()
    text_line = frame[CANVAS_H:CANVAS_H + 44, 60:120]
    assert (text_line > 200).any()  # the added syllable is drawn
    import cv2 as _cv2
    question = np.zeros_like(text_line)
    _cv2.putText(question, "?", (10, 34), _cv2.FONT_HERSHEY_SIMPLEX, 1, (240, 240, 240), 2)
    assert not np.array_equal(text_line > 200, question > 200)


def test_in_a_line_keys_pick_a_reading_with_the_mouse_off_the_characters_and_a_guess_over_one(pad):
    for x in (150, 400, 650):
        drag(pad, [(x, 80), (x, 200), (x, 320)])
    pad.on_key(ord(" "))
    printed = pad.out.getvalue().splitlines()
    assert printed[0].startswith("line: ") and printed[-1].startswith("readings: ")
    pad.on_mouse(cv2.EVENT_MOUSEMOVE, 275, 200, 0)  # between two characters
    assert pad.focus is None
    pad.on_key(ord("2"))
    assert pad.session.chosen_reading == 1 and pad.reading() == pad.session.readings[1].text
    pad.on_mouse(cv2.EVENT_MOUSEMOVE, 150, 200, 0)  # over the first
    pad.on_key(ord("2"))
    assert pad.session.chosen_reading is None and pad.line[0].chosen == pad.line[0].guesses(2)[1].label
    assert pad.render().shape == (CANVAS_H + 44 + 30, CANVAS_W + 320, 3)
