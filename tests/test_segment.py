"""A line of ink split into characters (drawpad.segment), recognize_line and --image --line."""
import json
import subprocess
import sys

import numpy as np
import pytest

from drawpad.canvas import PAPER, draw_strokes
from drawpad.segment import Box, segment_image, segment_strokes, span_doubt, split
from tests.conftest import DIGIT_MODEL, ROOT, STROKES_200, need

NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"


def digit_strokes(sample, height, x, top=40.0):
    """A pendigits sample's strokes placed `height` px high with its left edge at x; and its right edge."""
    strokes = [np.asarray(t, np.float64).reshape(-1, 2) * (1, -1) for t in sample["strokes"]]
    pts = np.concatenate(strokes)
    lo, size = pts.min(0), np.ptp(pts, 0)
    scale = height / max(size[1], 1e-6)
    return [((t - lo) * scale + (x, top)).tolist() for t in strokes], x + size[0] * scale


def number(samples, height, gap, pen):
    """(image, strokes) of the samples written left to right, `gap` x height apart."""
    x, strokes = 10.0 + pen, []
    for s in samples:
        placed, right = digit_strokes(s, height, x, top=10 + pen)
        strokes += placed
        x = right + pen + gap * height
    image = np.full((int(height + 2 * pen + 30), int(x + 20)), PAPER, np.uint8)
    return draw_strokes(image, strokes, pen), strokes


@pytest.fixture(scope="module")
def pen_digits():
    from data_tools.strokes import load_strokes
    return load_strokes(STROKES_200)


def font_word(word, size=64, gap=0.15, font=NANUM):
    """A word in a font, the syllables' ink `gap` x size apart."""
    from data_tools.synth import _render_gray
    glyphs = []
    for ch in word:
        gray = _render_gray(font, ch, size)
        cols = np.flatnonzero(gray.max(axis=0) > 0.5)
        glyphs.append(gray[:, cols[0]:cols[-1] + 1])
    gap_px = round(gap * size)
    page = np.zeros((glyphs[0].shape[0], sum(g.shape[1] for g in glyphs) + gap_px * len(glyphs) + 20), np.float32)
    x = 10
    for g in glyphs:
        page[:, x:x + g.shape[1]] = g
        x += g.shape[1] + gap_px
    return (255 - page * 255).astype(np.uint8)


def need_font():
    from pathlib import Path
    if not Path(NANUM).is_file():
        pytest.skip("fonts-nanum not installed (apt-get install fonts-nanum)")


def test_real_pen_numbers_split_into_their_digits_from_the_image_and_from_the_strokes(pen_digits):
    rng = np.random.default_rng(0)
    for _ in range(40):
        picked = [pen_digits[i] for i in rng.choice(len(pen_digits), rng.integers(3, 8))]
        image, strokes = number(picked, height=rng.uniform(60, 150), gap=rng.uniform(0.2, 0.6),
                                pen=int(rng.integers(6, 16)))
        assert len(segment_image(image, square=False).chosen()) == len(picked)
        assert len(segment_strokes(strokes, 10, square=False).chosen()) == len(picked)


def test_small_and_large_writing_split_alike(pen_digits):
    picked = pen_digits[:5]
    counts = set()
    for height, pen in ((30, 3), (80, 8), (240, 24)):
        image, strokes = number(picked, height, gap=0.3, pen=pen)
        counts.add((len(segment_image(image, square=False).chosen()),
                    len(segment_strokes(strokes, pen, square=False).chosen())))
    assert counts == {(5, 5)}


def test_the_bar_of_a_crossed_7_and_the_short_stroke_of_a_are_never_characters_of_their_own():
    seven = [[(20, 20), (120, 20), (60, 200)], [(40, 110), (110, 110)]]  # the bar, a stroke of its own
    assert len(segment_strokes(seven, 10, square=False).chosen()) == 1
    a = [[(40, 10), (40, 200)], [(62, 100), (100, 100)]]  # ㅏ: the short stroke detached, right of the stem
    assert len(segment_strokes(a, 10, square=True).chosen()) == 1
    assert len(segment_strokes(a + [[(x + 200, y) for x, y in s] for s in a], 10, square=True).chosen()) == 2
    one = [[(50, 10), (50, 200)]]  # a digit 1: narrow, yet a character
    assert len(segment_strokes(one + [[(x + 80, y) for x, y in s] for s in seven], 10, square=False).chosen()) == 2


def test_narrow_and_side_by_side_syllables_stay_one_character_and_words_split():
    need_font()
    for syllable in "이바뭐가":
        assert len(segment_image(font_word(syllable), square=True).chosen()) == 1, syllable
    for word in ("바다", "이사", "뭐라고", "한국어를", "이이이"):
        for gap in (0.08, 0.2, 0.35):
            assert len(segment_image(font_word(word, gap=gap), square=True).chosen()) == len(word), (word, gap)


def test_the_split_joins_overlaps_and_small_pieces():
    boxes = [Box(0, 0, 10, 100), Box(5, 40, 60, 50), Box(80, 0, 140, 100), Box(145, 90, 150, 95)]
    found = split(boxes, square=False)
    assert [sorted(found.members(span)) for span in found.chosen] == [[0, 1], [2, 3]]
    assert split([], square=False).chosen == []


def test_the_spans_doubted_least_are_the_syllables_of_real_writers():
    # 가다 as written: ㄱ (short) and ㅏ (a narrow stroke) a little apart, then 다 across a syllable's gap
    ga_da = [Box(0, 20, 45, 70), Box(55, 0, 75, 100), Box(110, 0, 195, 100)]
    found = split(ga_da, square=True)
    assert found.spans == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    doubt = {span: span_doubt(found.extents, 100, span) for span in found.spans}
    assert doubt[(0, 2)] < 2 and doubt[(2, 3)] == 0  # 가, 다
    assert min(doubt[(0, 1)], doubt[(1, 2)], doubt[(1, 3)], doubt[(0, 3)]) > doubt[(0, 2)] + 1.5
    # 빠 as ㅂ, ㅂ and ㅏ side by side, 2.1 sizes wide: weighed, and doubted less than 가다 as one
    ppa = split([Box(0, 0, 80, 100), Box(95, 0, 175, 100), Box(185, 0, 210, 100)], square=True)
    assert (0, 3) in ppa.spans and span_doubt(ppa.extents, 100, (0, 3)) < doubt[(0, 3)] - 2


def test_recognize_line_reads_each_digit_as_alone(pen_digits):
    from drawpad import ImageError, Recognizer
    rec = Recognizer.from_file(need(DIGIT_MODEL))
    picked = [s for s in pen_digits if s["label"] in "2024"][:4]
    image, _ = number(picked, height=100, gap=0.4, pen=10)
    line = rec.recognize_line(image, top=3)
    assert len(line) == 4 and all(len(preds) == 3 for preds in line)
    alone = [rec.recognize(number([s], 100, 0.4, 10)[0], top=1)[0].label for s in picked]
    assert [preds[0].label for preds in line] == alone
    assert len(rec.recognize_line(number(picked[:1], 100, 0.4, 10)[0])) == 1
    with pytest.raises(ImageError, match="empty"):
        rec.recognize_line(np.full((100, 300), 255, np.uint8))


def test_image_line_on_a_multi_character_and_a_one_character_file(pen_digits, tmp_path):
    import cv2
    need(DIGIT_MODEL)
    picked = pen_digits[:3]
    cv2.imwrite(str(tmp_path / "three.png"), number(picked, 100, 0.4, 10)[0])
    cv2.imwrite(str(tmp_path / "one.png"), number(picked[:1], 100, 0.4, 10)[0])
    run = subprocess.run([sys.executable, "run_pad.py", "--image", str(tmp_path / "three.png"),
                          str(tmp_path / "one.png"), "--line", "--json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    three, one = (json.loads(line) for line in run.stdout.splitlines())
    assert len(three["characters"]) == 3 and len(three["line"]) == 3
    assert len(one["characters"]) == 1
    # digits get no language prior: the best reading is each character's best guess
    assert three["line"] == "".join(c["predictions"][0]["label"] for c in three["characters"])
    texts, scores = [r["text"] for r in three["readings"]], [r["score"] for r in three["readings"]]
    assert texts[0] == three["line"] and len(set(texts)) == len(texts) > 1 and scores == sorted(scores, reverse=True)
    run = subprocess.run([sys.executable, "run_pad.py", "--image", str(tmp_path / "three.png"), "--line"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    lines = run.stdout.splitlines()
    assert lines[0] == f"{tmp_path / 'three.png'}: line: {three['line']}"
    assert lines[1].startswith(f"{tmp_path / 'three.png'}: readings: {three['line']} ")
    assert len(lines) == 5 and all(": prediction: " in line for line in lines[2:])


def test_image_line_reads_a_real_writers_hangul_word_with_the_language_model(capsys):
    from drawpad import Recognizer
    from drawpad.cli import main
    from drawpad.image_io import read_image
    word = ROOT / "tests" / "data" / "lines" / "005-saeroun.png"  # 새로운, written by writer 005
    hangul = need(ROOT / "models" / "hangul.h5")
    assert main(["--model", str(hangul), "--image", str(word), "--line", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    best = Recognizer.from_file(hangul).read_line(read_image(word), n=5)
    assert row["line"] == best[0].text and [r["text"] for r in row["readings"]] == [r.text for r in best]


def test_boxes_of_a_large_image_are_in_its_own_pixels(tmp_path, capsys):
    # The ink is found in a copy shrunk to 1600 px; the boxes must not be that copy's.
    from drawpad.cli import main
    from tests.conftest import save_tiny_model
    image = np.full((1200, 3200), PAPER, np.uint8)
    draw_strokes(image, [[(700, 200), (700, 1000)], [(2700, 200), (2700, 1000)]], 40)
    pieces = segment_image(image, square=False).chosen()
    assert len(pieces) == 2
    for piece, x in zip(pieces, (700, 2700)):
        assert abs(piece.box.x0 - (x - 20)) <= 3 and abs(piece.box.x1 - (x + 20)) <= 3, piece.box
        assert abs(piece.box.y0 - 180) <= 3 and abs(piece.box.y1 - 1020) <= 3, piece.box
    import cv2
    cv2.imwrite(str(tmp_path / "big.png"), image)
    assert main(["--model", str(save_tiny_model(tmp_path / "m.h5")), "--image", str(tmp_path / "big.png"),
                 "--line", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert [c["box"] for c in row["characters"]] == [[p.box.x0, p.box.y0, p.box.x1, p.box.y1] for p in pieces]
