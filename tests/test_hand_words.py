"""Words in the real writers' hands (data_tools.hand_words), from the committed cells."""
import numpy as np

from data_tools.hand_words import GAP, Writers, ink_extent, main, read_words
from data_tools.handwriting import read_folder
from drawpad.segment import segment_image
from tests.conftest import FIXTURES

HAND = FIXTURES / "hangul-hand"  # 가, 뉴, 들, 셌 of writers 002, 003, 005


def test_a_word_is_the_writer_s_cells_side_by_side_with_an_ordinary_gap():
    writers = Writers(HAND)
    assert sorted(writers.files) == ["002", "003", "005"]
    image = writers.word("003", "가들", writers.rng("003", 0))
    cells = [writers.cell("003", ch) for ch in "가들"]
    assert image.dtype == np.uint8 and image.shape[0] == max(c.shape[0] for c in cells)
    widths = [ink_extent(c)[1] - ink_extent(c)[0] for c in cells]
    x0, x1, _, _ = ink_extent(image)
    gap = (x1 - x0) - sum(widths)  # the ink of the word is the cells' ink and one gap
    size = writers.size("003")
    assert GAP[0] * size - 1 <= gap <= GAP[1] * size + 1
    assert len(segment_image(image, square=True).chosen()) == 2  # two syllables, split apart


def test_only_words_a_writer_wrote_are_drawn_and_the_folder_reads_back(tmp_path):
    writers = Writers(HAND)
    assert writers.can_write("005", ["가들", "뉴셌가", "사람"]) == ["가들", "뉴셌가"]
    (tmp_path / "words.txt").write_text("# a comment\n가들\n뉴셌가\n사람\n", encoding="utf-8")
    assert read_words(tmp_path / "words.txt") == ["가들", "뉴셌가", "사람"]
    out = tmp_path / "out"
    assert main(["--data-dir", str(HAND), "--out", str(out), "-n", "2", "--words", str(tmp_path / "words.txt")]) == 0
    samples = read_folder(out)
    assert len(samples) == 6 and {s.label for s in samples} <= {"가들", "뉴셌가"}
    assert sorted({s.writer for s in samples}) == ["002", "003", "005"]
    assert not list(tmp_path.glob(".*partial"))


def test_the_everyday_word_list_is_committed_and_sound():
    from drawpad.labels import ksx1001_syllables
    words = read_words()
    syllables = set(ksx1001_syllables())
    assert len(words) > 3000 and len(set(words)) == len(words)
    assert all(2 <= len(w) <= 4 and set(w) <= syllables for w in words)
    assert {"사람", "학교", "대통령"} <= set(words)
