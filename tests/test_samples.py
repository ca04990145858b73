"""Corrections kept as samples: the store (drawpad.samples) and the pad's keys 1-5, TAB and ENTER."""
import io
import json
import os
import unicodedata

import cv2
import numpy as np
import pytest

from drawpad import samples
from drawpad.samples import SampleStore
from tests.conftest import save_tiny_model
from tests.test_pad import drag

DRAWING = np.full((60, 40), 255, np.uint8)
DRAWING[10:50, 18:22] = 0


def test_a_sample_is_a_png_and_its_strokes_under_model_and_label(tmp_path):
    store = SampleStore(tmp_path, "mnist")
    png = store.save("7", DRAWING, [[(1, 2), (3, 4)]], pen=16)
    assert png.parent == tmp_path / "mnist" / "7" and png.suffix == ".png"
    assert np.array_equal(cv2.imread(str(png), cv2.IMREAD_GRAYSCALE), DRAWING)
    record = json.loads(png.with_suffix(".json").read_text(encoding="utf-8"))
    assert record == {"label": "7", "pen": 16, "strokes": [[[1, 2], [3, 4]]]}
    store.save("7", DRAWING)  # without strokes: a PNG alone
    assert store.count() == 2
    assert sorted(p.name for p in (tmp_path / "mnist" / "7").iterdir() if p.name.startswith(".")) == []


def test_hangul_labels_in_nfd_and_nfc_are_one_folder(tmp_path):
    store = SampleStore(tmp_path, "hangul")
    store.save(unicodedata.normalize("NFD", "한"), DRAWING)
    store.save("한", DRAWING)
    assert [p.name for p in (tmp_path / "hangul").iterdir()] == ["한"]
    assert store.count() == 2
    with pytest.raises(samples.DrawpadError):
        store.save("a/b", DRAWING)


def test_a_kill_during_save_leaves_no_sample_that_looks_finished(tmp_path, monkeypatch):
    store = SampleStore(tmp_path, "mnist")
    real = os.replace

    def killed(src, dst):  # dies as the PNG would be renamed into place
        if str(dst).endswith(".png"):
            raise KeyboardInterrupt
        real(src, dst)
    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.save("7", DRAWING, [[(1, 2)]], pen=16)
    assert store.count() == 0 and not list((tmp_path / "mnist" / "7").glob("*.png"))


@pytest.fixture
def pad(tmp_path):
    from drawpad import Recognizer
    from drawpad.pad import Pad
    rec = Recognizer.from_file(save_tiny_model(tmp_path / "m.h5"), notice=lambda m: None)
    return Pad(rec, out=io.StringIO(), samples=tmp_path / "samples")


def kept(pad):
    return sorted(p.parent.name for p in (pad.samples / "m").glob("*/*.png"))


def test_keys_1_to_5_pick_a_shown_guess_and_keep_the_drawing(pad):
    drag(pad, [(200, 60), (200, 200), (200, 340)])
    pad.on_key(ord(" "))
    second = pad.predictions[1].label
    pad.on_key(ord("2"))
    assert kept(pad) == [second] and pad.reading() == second
    assert f"sample: {second} " in pad.out.getvalue()
    assert pad.message == f"kept {second}: 1 sample of m"
    pad.on_key(13)  # ENTER: the picked label goes to the text, kept once, not twice
    assert pad.text == second and kept(pad) == [second]


def test_tab_shows_the_next_guesses_so_any_label_can_be_picked(pad):
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    ranked = [p.label for p in pad.rec.recognize(pad.canvas.image(), top=10)]
    pad.on_key(9)  # TAB
    assert [p.label for p in pad.predictions] == ranked[3:6]
    pad.on_key(ord("1"))
    assert kept(pad) == [ranked[3]]


def test_enter_confirms_the_top_guess_and_no_save_keeps_nothing(pad, tmp_path):
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    top = pad.predictions[0].label
    pad.on_key(13)
    assert kept(pad) == [top]
    pad.samples = None  # --no-save
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    pad.on_key(ord("2"))
    pad.on_key(13)
    assert len(pad.text) == 2 and kept_count(tmp_path) == 1


def kept_count(tmp_path):
    return len(list((tmp_path / "samples").glob("*/*/*.png")))


def test_in_a_line_the_pick_applies_to_the_character_under_the_mouse(pad):
    drag(pad, [(100, 60), (100, 340)])
    drag(pad, [(400, 60), (400, 340)])
    drag(pad, [(700, 60), (700, 340)])
    pad.on_key(ord(" "))
    assert len(pad.line) == 3
    pad.on_mouse(cv2.EVENT_MOUSEMOVE, 410, 200, 0)
    assert pad.focus is pad.line[1]
    second = pad.shown(pad.line[1])[1].label
    pad.on_key(ord("2"))
    assert pad.line[1].chosen == second and pad.line[0].chosen is None
    assert kept(pad) == [second]


def test_one_sample_per_drawing_replaced_by_a_new_pick(pad):
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    first, second = pad.predictions[0].label, pad.predictions[1].label
    pad.on_key(ord("1"))
    pad.on_key(ord("2"))  # no: it was the second guess
    assert kept(pad) == [second]
    pad.on_key(ord("2"))  # the same pick again keeps it once
    assert kept(pad) == [second] and pad.message == f"kept {second}: 1 sample of m"
    pad.on_key(13)
    assert kept(pad) == [second] and pad.text == second
    assert first != second


def test_enter_on_a_reading_never_shown_keeps_no_sample(pad):
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(13)  # read and added at once: no one saw the guess to confirm it
    assert len(pad.text) == 1 and kept(pad) == []
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    drag(pad, [(150, 200), (250, 200)])  # drawn on after the reading: that reading is not this drawing's
    pad.on_key(13)
    assert len(pad.text) == 2 and kept(pad) == []


@pytest.fixture
def labelled_pad(tmp_path):
    from drawpad import Recognizer
    from drawpad.pad import Pad
    labels = tmp_path / "m.labels.txt"
    labels.write_text("\n".join(f"{n}/{n}" for n in range(10)), encoding="utf-8")  # such as 7/seven: no folder
    rec = Recognizer.from_file(save_tiny_model(tmp_path / "m.h5"), labels=labels, notice=lambda m: None)
    return Pad(rec, out=io.StringIO(), samples=tmp_path / "samples")


def test_a_label_that_cannot_be_a_folder_is_said_on_screen_and_the_pad_goes_on(labelled_pad):
    pad = labelled_pad
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    label = pad.predictions[0].label
    assert pad.on_key(ord("1")) is True
    assert pad.message.startswith(f"cannot keep {label}") and "folder name" in pad.message
    pad.render()
    assert pad.on_key(13) is True and pad.text == label


def test_a_samples_folder_that_cannot_be_written_is_said_on_screen(pad, tmp_path):
    (tmp_path / "samples").write_text("a file where the folder should be")  # as a read-only folder: OSError
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    assert pad.on_key(ord("1")) is True
    assert pad.message.startswith(f"cannot keep {pad.line[0].label}")
    pad.render()
    assert pad.on_key(13) is True and len(pad.text) == 1


def test_a_model_named_with_a_slash_is_drawn_and_says_no_samples(tmp_path):
    from drawpad import Recognizer
    from drawpad.model_card import write_card
    from drawpad.pad import Pad
    path = save_tiny_model(tmp_path / "m.h5")
    write_card(path, {"name": "digits/v2: mine"})
    pad = Pad(Recognizer.from_file(path, notice=lambda m: None), out=io.StringIO(), samples=tmp_path / "s")
    pad.render()
    assert "digits/v2: mine" in pad.message
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    assert pad.on_key(ord("1")) is True and pad.line[0].chosen is not None
    pad.render()
    assert not (tmp_path / "s").exists()


def test_the_samples_are_counted_once_not_on_every_redraw(pad, monkeypatch):
    from pathlib import Path
    for label in "0123":
        pad_store = SampleStore(pad.samples, "m")
        pad_store.save(label, DRAWING)
    listed = []
    real = Path.glob

    def glob(self, pattern):
        listed.append(pattern)
        return real(self, pattern)
    monkeypatch.setattr(Path, "glob", glob)
    for x in range(100, 140, 4):  # a stroke drawn: a redraw on each mouse move
        pad.on_mouse(cv2.EVENT_MOUSEMOVE, x, 100, cv2.EVENT_FLAG_LBUTTON)
        frame = pad.render()
    assert len(listed) <= 1
    drag(pad, [(200, 60), (200, 340)])
    pad.on_key(ord(" "))
    pad.on_key(ord("1"))
    pad.render()
    assert pad.message.endswith("5 samples of m") and len(listed) <= 1
    assert frame is not None
