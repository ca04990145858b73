"""data_tools.handwriting: real handwriting (a labels.tsv or <label>/*.png) -> the trainers' arrays."""
import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from data_tools import handwriting
from drawpad.labels import ksx1001_syllables
from drawpad.image_io import read_image
from drawpad.preprocess import HANGUL_SPEC, preprocess, to_gray

HAND = Path(__file__).parent / "data" / "hangul-hand"


def test_labels_tsv_gives_each_cell_its_label_and_writer():
    samples = handwriting.read_folder(HAND)
    assert len(samples) == 12
    assert {s.writer for s in samples} == {"002", "003", "005"}
    first = samples[0]
    assert (first.file, first.label, first.writer) == (HAND / "002" / "AC00.png", "가", "002")
    assert sorted({s.label for s in samples}) == sorted("가뉴들셌")


def test_a_label_folder_layout_is_read_too_with_nfd_names_as_nfc(tmp_path):
    import unicodedata
    for label in ("가", "뉴"):
        folder = tmp_path / "mine" / unicodedata.normalize("NFD", label)
        folder.mkdir(parents=True)
        shutil.copy(HAND / "003" / f"{ord(label):04X}.png", folder / "1.png")
    samples = handwriting.read_folder(tmp_path / "mine")
    assert [(s.label, s.writer) for s in samples] == [("가", "mine"), ("뉴", "mine")]


def test_conversion_goes_through_the_pads_preprocessing_and_records_writers(tmp_path):
    done = handwriting.convert(HAND, tmp_path / "out", writers=["003", "005"], progress=False)
    assert done["samples"] == 8 and done["writers"] == ["003", "005"] and not done["problems"]
    images = np.load(tmp_path / "out" / "images.npy")
    labels = np.load(tmp_path / "out" / "labels.npy")
    names = (tmp_path / "out" / "labels.txt").read_text(encoding="utf-8").split()
    assert names == list(ksx1001_syllables())
    with open(tmp_path / "out" / "samples.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["writer"] for r in rows] == ["003"] * 4 + ["005"] * 4
    for image, label, row in zip(images, labels, rows):
        assert names[label] == chr(int(Path(row["file"]).stem, 16))
        gray = to_gray(read_image(HAND / row["file"]))
        assert np.array_equal(image, preprocess(gray, HANGUL_SPEC))  # the pad's own input


def test_copies_are_other_hands_of_the_same_character_and_replay_rows_are_appended(tmp_path):
    handwriting.convert(HAND, tmp_path / "fonts", writers=["002"], progress=False)  # stands in for fonts' data
    done = handwriting.convert(HAND, tmp_path / "out", writers=["003"], copies=3, replay=tmp_path / "fonts",
                               replay_share=0.5, progress=False)
    assert done["rows"] == 4 * 4 + 4 and done["replayed"] == 4
    images = np.load(tmp_path / "out" / "images.npy")
    labels = np.load(tmp_path / "out" / "labels.npy")
    original, copies = images[0], images[1:4]
    assert (labels[:4] == labels[0]).all()
    for copy in copies:
        assert copy.any() and not np.array_equal(copy, original)
        overlap = np.minimum(copy, original).sum() / np.maximum(copy, original).sum()
        assert overlap > 0.2  # the same character moved a little, not noise
    assert np.array_equal(images[16:], np.load(tmp_path / "fonts" / "images.npy"))
    again = handwriting.convert(HAND, tmp_path / "again", writers=["003"], copies=3, progress=False)
    assert again["rows"] == 16
    assert np.array_equal(np.load(tmp_path / "again" / "images.npy"), images[:16])  # seeded: the same


def test_a_bad_file_is_named_in_one_line_and_skipped_or_with_strict_stops(tmp_path, capsys):
    folder = tmp_path / "hand"
    shutil.copytree(HAND, folder)
    (folder / "003" / "AC00.png").write_bytes(b"not a png")
    assert handwriting.main(["--data-dir", str(folder), "--out", str(tmp_path / "out"), "--writers", "003"]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("handwriting:")]
    assert err == [f"skipped {folder / '003' / 'AC00.png'}: not an image file OpenCV can read"]
    assert not np.load(tmp_path / "out" / "images.npy")[0].any()  # a blank row, as the converter leaves
    assert handwriting.main(["--data-dir", str(folder), "--out", str(tmp_path / "out2"), "--strict"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("handwriting:")]
    assert err == [f"error: {folder / '003' / 'AC00.png'}: not an image file OpenCV can read"]
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize("text, message", [
    ("name\tlabel\n", "the header must name the columns file and label"),
    ("file\tlabel\twriter\n003/AC00.png\t\t003\n", "labels.tsv:2: no label"),
    ("file\tlabel\twriter\n003/AC00.png\tA\t003\n", "1 labels are not in the label list, e.g. 'A'"),
])
def test_a_bad_labels_file_is_one_line(tmp_path, capsys, text, message):
    folder = tmp_path / "hand"
    shutil.copytree(HAND, folder)
    (folder / "labels.tsv").write_text(text, encoding="utf-8")
    assert handwriting.main(["--data-dir", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err


def test_an_unknown_writer_or_missing_folder_is_one_line(tmp_path, capsys):
    assert handwriting.main(["--data-dir", str(HAND), "--out", str(tmp_path / "o"), "--writers", "999"]) == 2
    assert capsys.readouterr().err.strip() == f"error: {HAND}: no writer 999"
    assert handwriting.main(["--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.strip() == f"error: {tmp_path / 'nope'}: no such folder"
