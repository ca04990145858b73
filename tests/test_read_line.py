"""Recognizer.read_line: a line's best readings, on real handwriting."""
import cv2
import numpy as np
import pytest

from drawpad import ImageError, Recognizer
from tests.conftest import DIGIT_MODEL, FIXTURES, ROOT, STROKES_200, need
from tests.test_segment import number

HANGUL_MODEL = ROOT / "models" / "hangul.h5"
SAEROUN = FIXTURES / "lines" / "005-saeroun.png"  # 새로운 in the hand of writer 005 of hangul-hand


@pytest.fixture(scope="module")
def hangul():
    return Recognizer.from_file(need(HANGUL_MODEL))


def test_a_real_writer_s_word_is_read_as_the_word_best_first(hangul):
    image = cv2.imread(str(SAEROUN), cv2.IMREAD_GRAYSCALE)
    readings = hangul.read_line(image, n=5)
    assert readings[0].text == "새로운"
    assert len(readings) == 5 and len({r.text for r in readings}) == 5
    assert all(a.score >= b.score for a, b in zip(readings, readings[1:]))
    boxes = [c.box for c in readings[0].characters]
    assert [c.label for c in readings[0].characters] == list("새로운")
    assert all(a.x1 <= b.x0 for a, b in zip(boxes, boxes[1:]))  # left to right, apart
    assert all(0 <= b.x0 < b.x1 <= image.shape[1] and 0 <= b.y0 < b.y1 <= image.shape[0] for b in boxes)
    assert all(0 < c.probability <= 1 for c in readings[0].characters)
    plain = hangul.read_line(image, n=2, language=None)  # the model alone
    assert len(plain) == 2 and plain[0].score >= plain[1].score


def test_numbers_get_no_word_prior_and_their_best_reading_is_each_digit_s_best():
    from data_tools.strokes import load_strokes
    rec = Recognizer.from_file(need(DIGIT_MODEL))
    picked = [s for s in load_strokes(STROKES_200) if s["label"] in "2024"][:4]
    image, _ = number(picked, height=100, gap=0.4, pen=10)
    readings = rec.read_line(image, n=3)
    assert readings[0].text == "".join(preds[0].label for preds in rec.recognize_line(image, top=1))
    assert [(r.text, r.score) for r in readings] == [(r.text, r.score) for r in rec.read_line(image, 3, None)]
    assert len({r.text for r in readings}) == 3


def test_nothing_to_read_and_an_unknown_language_are_clear_errors(hangul):
    with pytest.raises(ImageError, match="empty"):
        hangul.read_line(np.full((100, 300), 255, np.uint8))
    with pytest.raises(ValueError, match="language must be 'ko' or None, not 'en'"):
        hangul.read_line(cv2.imread(str(SAEROUN), cv2.IMREAD_GRAYSCALE), language="en")


def test_the_alternatives_of_a_square_script_reach_further_than_its_chosen_split():
    from drawpad.segment import ALTERNATIVE_GAP, JOIN_GAP, Box, split
    # ㅍ and ㅏ of 파 written apart (a gap of 0.6 of the height), then 도 further off
    boxes = [Box(0, 0, 50, 100), Box(110, 0, 130, 100), Box(220, 0, 310, 100)]
    assert JOIN_GAP < 0.6 < ALTERNATIVE_GAP
    found = split(boxes, square=True)
    assert found.chosen == [(0, 1), (1, 2), (2, 3)]  # the split a glance gives
    assert (0, 2) in found.spans and (1, 3) not in found.spans  # 파 as one is weighed; ㅏ도 is too far apart
    assert split(boxes, square=False).spans == [(0, 1), (1, 2), (2, 3)]  # digits: every gap splits
