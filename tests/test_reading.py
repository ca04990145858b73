"""drawpad.reading: the one place a line is split and read."""
import cv2
import numpy as np
import pytest

from drawpad.reading import read_line, read_strokes
from tests.conftest import save_tiny_model


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    from drawpad import Recognizer
    return Recognizer.from_file(save_tiny_model(tmp_path_factory.mktemp("m") / "m.h5"), notice=lambda m: None)


@pytest.fixture(scope="module")
def hangul(tmp_path_factory):
    from drawpad import Recognizer
    folder = tmp_path_factory.mktemp("h")
    labels = folder / "h.labels.txt"
    labels.write_text("\n".join("가나다라마바사아자차카타파하이"), encoding="utf-8")
    return Recognizer.from_file(save_tiny_model(folder / "h.h5", (60, 60, 1), outputs=15), labels=labels,
                                notice=lambda m: None)


def test_each_piece_has_its_result_or_its_error_in_line_order(digits):
    image = np.full((240, 700), 255, np.uint8)
    cv2.line(image, (80, 40), (80, 200), 0, 14)
    cv2.circle(image, (330, 120), 70, 0, -1)  # a blob as big as a character: refused
    cv2.line(image, (600, 40), (600, 200), 0, 14)
    line = read_line(digits, image)
    assert [p.piece.box.x0 < x < p.piece.box.x1 for p, x in zip(line.pieces, (80, 330, 600))] == [True] * 3
    assert [p.error is None for p in line.pieces] == [True, False, True]
    assert "blob" in str(line.pieces[1].error) and line.pieces[1].guesses(3) == []
    for piece in line.characters():
        assert piece.probabilities.shape == (10,) and abs(piece.probabilities.sum() - 1) < 1e-5
        assert piece.guesses(3) == digits.recognize(piece.piece.image, top=3)
    # recognize_line keeps its contract: the characters alone, as each is read alone
    assert digits.recognize_line(image, top=2) == [p.guesses(2) for p in line.characters()]
    assert len(line.text) == 2


def test_a_line_of_nothing_but_refused_pieces_is_its_error(digits):
    from drawpad import ImageError
    image = np.full((240, 300), 255, np.uint8)
    cv2.circle(image, (150, 120), 70, 0, -1)
    with pytest.raises(ImageError, match="blob"):
        read_line(digits, image).characters()
    with pytest.raises(ImageError, match="empty"):
        read_strokes(digits, [], 16, (960, 400))


def test_where_a_split_is_uncertain_the_alternatives_are_read(hangul):
    # ㅇ and ㅣ side by side: one syllable (이) or two characters; both ways are read on request
    o = [[(150 + round(50 * np.sin(t)), 200 - round(60 * np.cos(t))) for t in np.linspace(0, 6.3, 30)]]
    i = [[(260, 100), (260, 300)]]
    line = read_strokes(hangul, o + i, 16, (960, 400), alternatives=True)
    assert sorted(line.split.spans) == [(0, 1), (0, 2), (1, 2)]
    assert set(line.alternatives) == set(line.split.spans)
    assert all(line.alternatives[span] is piece for span, piece in zip(line.split.chosen, line.pieces))
    joined = line.alternatives[(0, 2)]
    assert joined.piece.strokes == o + i and joined.probabilities.shape == (15,)
    assert read_strokes(hangul, o + i, 16, (960, 400)).alternatives == {}  # only when asked: no extra cost
    far = [[(x + 500, y) for x, y in s] for s in i]  # a gap as wide as a syllable: never one character
    assert (0, 2) not in read_strokes(hangul, o + far, 16, (960, 400)).split.spans


def test_one_character_is_read_from_the_whole_canvas_as_the_pad_always_did(digits):
    from drawpad.canvas import Canvas
    canvas = Canvas(960, 400)
    for x, y in [(200, 60), (200, 200), (200, 340)]:
        (canvas.extend if canvas.strokes else canvas.begin)(x, y)
    line = read_strokes(digits, canvas.strokes, canvas.pen, (960, 400))
    [piece] = line.pieces
    assert np.array_equal(piece.piece.image, canvas.image()) and piece.piece.strokes == canvas.strokes
