import csv
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from data_tools import phd08
from data_tools.phd08 import Malformed, convert, main, read_samples
from tests.conftest import GA_30, SHARED, need

GA = SHARED / "phd08" / "가.txt"
PATTERN = "[A-Z0-9]+_[0-2]_0_2_1_[0-2]"


def sample(name, rows):
    return f"{name}\n{len(rows)} {len(rows[0])}\n" + "\n".join(rows) + "\n\n"


GOOD = ["0110", "1111", "0110"]


def dump(path, text, crlf=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode())
    return path


@pytest.fixture(scope="module")
def ga_pattern(tmp_path_factory):
    src = tmp_path_factory.mktemp("ga")
    (src / "가.txt").symlink_to(GA_30)
    out = tmp_path_factory.mktemp("out") / "ga"
    result = convert(src, out, pattern=PATTERN, progress=False)
    return result, out


def test_the_fixture_is_real_crlf_phd08():
    raw = GA_30.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") > 0 and raw.endswith(b"\r\n\r\n")
    assert len(list(read_samples(GA_30, None, pytest.fail))) == 30


def test_original_pattern_selects_its_samples_of_ga(ga_pattern):
    result, out = ga_pattern
    # 27 of the fixture's 30 match: each font at each size, slants 0-2 (the full file has 81)
    assert result.samples == 27 and result.problems == []
    images = np.load(out / "images.npy")
    labels = np.load(out / "labels.npy")
    assert images.shape == (27, 60, 60) and images.dtype == np.uint8
    assert set(labels) == {0}  # 가 is 0 under ksx1001
    names = (out / "labels.txt").read_text(encoding="utf-8").split()
    assert len(names) == 2350 and names[0] == "가"
    with open(out / "samples.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 27
    assert {r["font"] for r in rows} == set("B D G H1 H2 M N S Y".split())
    assert {r["size"] for r in rows} == {"0", "1", "2"} and {r["slant"] for r in rows} == {"0", "1", "2"}
    assert all(re.fullmatch(PATTERN, r["name"]) and r["name"] == "_".join(
        r[k] for k in phd08.FIELDS) for r in rows)
    for img in images:  # every image has ink, light on dark, box-centred
        ys, xs = np.nonzero(img > 128)
        assert len(ys) > 50
        assert abs((ys.min() + ys.max()) / 2 - 29.5) <= 1.5
        assert abs((xs.min() + xs.max()) / 2 - 29.5) <= 1.5
        assert img[0, 0] == 0


def test_present_labels_without_a_pattern_take_every_sample(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "가.txt").symlink_to(GA_30)
    result = convert(tmp_path / "in", tmp_path / "out", labels="present", progress=False)
    assert result.samples == 30 and result.problems == []
    assert (tmp_path / "out" / "labels.txt").read_text(encoding="utf-8") == "가\n"
    assert np.load(tmp_path / "out" / "images.npy").shape == (30, 60, 60)


def test_full_data_every_sample_of_ga(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "가.txt").symlink_to(need(GA))
    result = convert(tmp_path / "in", tmp_path / "out", labels="present", progress=False)
    assert result.samples == 2187 and result.problems == []
    assert (tmp_path / "out" / "labels.txt").read_text(encoding="utf-8") == "가\n"
    with open(tmp_path / "out" / "samples.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sum(bool(re.fullmatch(PATTERN, r["name"])) for r in rows) == 81  # what the original project kept
    assert {r["font"] for r in rows} == set("B D G H1 H2 M N S Y".split())
    for field in ("size", "copy", "resolution", "threshold", "slant"):
        assert {r[field] for r in rows} == {"0", "1", "2"}, field


def test_crlf_and_lf_parse_the_same(tmp_path):
    text = sample("S_0_0_0_0_1", GOOD) + sample("M_1_0_2_1_0", ["1", "1"])
    lf = list(read_samples(dump(tmp_path / "lf.txt", text), None, print))
    crlf = list(read_samples(dump(tmp_path / "crlf.txt", text, crlf=True), None, print))
    assert [s.name for s in lf] == [s.name for s in crlf] == ["S_0_0_0_0_1", "M_1_0_2_1_0"]
    assert all(np.array_equal(a.bits, b.bits) for a, b in zip(lf, crlf))
    assert lf[0].bits.tolist() == [[0, 1, 1, 0], [1, 1, 1, 1], [0, 1, 1, 0]]
    assert lf[1].fields() == ["M", "1", "0", "2", "1", "0"]


MALFORMED = [
    # (text, message fragment, line)
    ("S_0_0_0_0_1\n3 4\n0110\n1111\n\n", "row 3 is blank, expected 4", 5),
    ("S_0_0_0_0_1\n3 4\n0110\n111\n0110\n\n", "row 2 is 3 characters, expected 4", 4),
    ("S_0_0_0_0_1\n3 4\n0110\n1x11\n0110\n\n", "character 'x' is not 0 or 1", 4),
    ("S_0_0_0_0_1\n0110\n1111\n\n", "expected an 'H W' line", 2),
    ("S_0_0_0_0_1\n3 4\n0110\n", "truncated: 1 of 3 rows", 1),
    ("S_0_0_0_0_1\n2 4\n0110\n0110\n0110\n\n", "more than 2 rows", 5),
    ("S_0_0_0_0_1\n2 4\n0000\n0000\n\n", "no ink", 1),
]


@pytest.mark.parametrize("bad, message, line", MALFORMED)
def test_malformed_samples_are_reported_skipped_and_counted(tmp_path, bad, message, line):
    truncated = "truncated" in message  # the file ends inside the sample
    text = sample("B_0_0_0_0_0", GOOD) + bad + ("" if truncated else sample("D_2_0_0_0_0", GOOD))
    path = dump(tmp_path / "in" / "가.txt", text, crlf=True)
    problems = []
    names = [s.name for s in read_samples(path, None, problems.append)]
    assert names[0] == "B_0_0_0_0_0"
    assert len(problems) == 1 and message in str(problems[0])
    assert str(problems[0]).startswith(f"{path}:{line + 3 + len(GOOD)}:")  # after the first sample
    assert names == ["B_0_0_0_0_0"] if truncated else ["B_0_0_0_0_0", "D_2_0_0_0_0"]
    result = convert(tmp_path / "in", tmp_path / "out", progress=False)
    assert len(result.problems) == 1 and result.samples == len(names)
    with pytest.raises(Malformed, match=re.escape(message)):
        convert(tmp_path / "in", tmp_path / "strict", strict=True, progress=False)
    assert not (tmp_path / "strict").exists()


FIRST, LAST = sample("B_0_0_0_0_0", GOOD), sample("D_2_0_0_0_0", GOOD)

# What read_samples keeps ("line: name") and reports ("line: what", after the path), word
# for word as the line-by-line parser reported it before the one-pass parser replaced it.
EVERY_SAMPLE = {
    "the file ends inside the rows": (FIRST + "S_0_0_0_0_1\n3 4\n0110\n1111",
        ["1: B_0_0_0_0_0"], ["7: sample 'S_0_0_0_0_1' truncated: 2 of 3 rows"]),
    "the file ends after the size line": (FIRST + "S_0_0_0_0_1\n3 4\n",
        ["1: B_0_0_0_0_0"], ["7: sample 'S_0_0_0_0_1' truncated: 0 of 3 rows"]),
    "the file ends after a name": (FIRST + "S_0_0_0_0_1",
        ["1: B_0_0_0_0_0"], ["8: file ends after sample name 'S_0_0_0_0_1'"]),
    "the last row has no line end": (FIRST + "S_0_0_0_0_1\n3 4\n0110\n1111\n0110",
        ["1: B_0_0_0_0_0", "7: S_0_0_0_0_1"], []),
    "no line end at the end of the file": (FIRST + LAST.rstrip("\n"),
        ["1: B_0_0_0_0_0", "7: D_2_0_0_0_0"], []),
    "a size line that is not two numbers": (FIRST + "S_0_0_0_0_1\n3x4\n0110\n1111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"],
        ["8: expected an 'H W' line after sample 'S_0_0_0_0_1', got b'3x4'"]),
    "a size line too long to quote whole": (FIRST + "S_0_0_0_0_1\n" + "ab" * 30 + "\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "11: D_2_0_0_0_0"],
        ["8: expected an 'H W' line after sample 'S_0_0_0_0_1', got b'" + "ab" * 20 + "'"]),
    "a blank line for the size line": (FIRST + "S_0_0_0_0_1\n\n3 4\n0110\n1111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "14: D_2_0_0_0_0"],
        ["8: expected an 'H W' line after sample 'S_0_0_0_0_1', got b''",
         "10: expected an 'H W' line after sample '3 4', got b'0110'"]),
    "a size of 0": (FIRST + "S_0_0_0_0_1\n0 4\n\n" + LAST,
        ["1: B_0_0_0_0_0", "10: D_2_0_0_0_0"], ["8: bad size 0x4"]),
    "a size over MAX_SIDE": (FIRST + "S_0_0_0_0_1\n3 5000\n0110\n1111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"], ["8: bad size 3x5000"]),
    "a row too long": (FIRST + "S_0_0_0_0_1\n3 4\n0110\n11110\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"],
        ["10: sample 'S_0_0_0_0_1': row 2 is 5 characters, expected 4"]),
    "a row with a leading blank": (FIRST + "S_0_0_0_0_1\n3 4\n0110\n 1111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"],
        ["10: sample 'S_0_0_0_0_1': row 2 is 5 characters, expected 4"]),
    "rows with trailing blanks": (FIRST + "S_0_0_0_0_1\n3 4\n0110  \n1111\t\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "7: S_0_0_0_0_1", "13: D_2_0_0_0_0"], []),
    "blanks around the name and the numbers": (FIRST + "  S_0_0_0_0_1 \t\n 3\t4 \n0110\n1111\n0110\n\n"
                                               + LAST,
        ["1: B_0_0_0_0_0", "7: S_0_0_0_0_1", "13: D_2_0_0_0_0"], []),
    "a row too short before a stray character": (FIRST + "S_0_0_0_0_1\n3 4\n01x0\n111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"],
        ["10: sample 'S_0_0_0_0_1': row 2 is 3 characters, expected 4"]),
    "a stray character": (FIRST + "S_0_0_0_0_1\n3 4\n0110\n1111\n0120\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"],
        ["11: sample 'S_0_0_0_0_1': character '2' is not 0 or 1"]),
    "a blank inside a row": (FIRST + "S_0_0_0_0_1\n3 4\n0110\n11 1\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"],
        ["10: sample 'S_0_0_0_0_1': character ' ' is not 0 or 1"]),
    "a row too many before a stray character": (FIRST + "S_0_0_0_0_1\n2 4\n0x10\n1111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"], ["11: sample 'S_0_0_0_0_1' has more than 2 rows"]),
    "a name that is not ASCII": (FIRST + "S_가_0\n3 4\n0110\n1111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"], ["7: sample name is not ASCII"]),
    "no blank line between samples": (FIRST.rstrip("\n") + "\n" + LAST,
        ["1: B_0_0_0_0_0", "6: D_2_0_0_0_0"], []),
    "no blank line after a malformed sample": (FIRST + "S_1\n2 2\n01\n11\n1\n" + LAST,
        ["1: B_0_0_0_0_0"], ["11: sample 'S_1' has more than 2 rows"]),  # D is read as its rows
    "no blank line after a sample without ink": (FIRST + "S_1\n1 2\n00\n" + LAST,
        ["1: B_0_0_0_0_0"], ["7: sample 'S_1' has no ink"]),
}

# The same with --pattern selecting B and D: the others are skipped by their
# row count, unread, whatever those rows hold.
SELECTED = {
    "a short sample is skipped by its row count": (FIRST + "X_9\n5 4\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0"], ["15: expected an 'H W' line after sample '1111', got b'0110'"]),
    "so is a sample with a row too many": (FIRST + "X_9\n2 4\n0110\n0110\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"], ["12: expected an 'H W' line after sample '0110', got b''"]),
    "a row of the wrong width goes unread": (FIRST + "X_9\n3 4\n011\n1111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"], []),
    "a stray character goes unread": (FIRST + "S_0_0_0_0_1\n3 4\n0110\n1111\n0120\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"], []),
    "a sample cut short by the end of the file": (FIRST + "S_0_0_0_0_1\n3 4\n0110\n1111",
        ["1: B_0_0_0_0_0"], []),
    "a bad size line is still reported": (FIRST + "S_0_0_0_0_1\n3x4\n0110\n1111\n0110\n\n" + LAST,
        ["1: B_0_0_0_0_0", "13: D_2_0_0_0_0"],
        ["8: expected an 'H W' line after sample 'S_0_0_0_0_1', got b'3x4'"]),
}
LINE_ENDS = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}  # bytes.splitlines() takes a lone CR too


@pytest.mark.parametrize("line_end", LINE_ENDS)
@pytest.mark.parametrize("pattern, case", [(None, c) for c in EVERY_SAMPLE] +
                         [("[BD]_[0-9_]+", c) for c in SELECTED])
def test_reports_are_word_for_word_whatever_the_line_ends(tmp_path, pattern, case, line_end):
    text, kept, reports = (SELECTED if pattern else EVERY_SAMPLE)[case]
    path = tmp_path / "가.txt"
    path.write_bytes(text.replace("\n", LINE_ENDS[line_end]).encode())
    problems = []
    samples = list(read_samples(path, pattern and re.compile(pattern), problems.append))
    assert [f"{s.line}: {s.name}" for s in samples] == kept
    assert [str(p) for p in problems] == [f"{path}:{r}" for r in reports]
    assert all(s.bits.tolist() == [[0, 1, 1, 0], [1, 1, 1, 1], [0, 1, 1, 0]] for s in samples)
    places, counted = phd08.count_file(path, pattern, strict=False)  # the converter's first pass
    assert counted == [str(p) for p in problems]
    data = path.read_bytes()
    assert [phd08.sample_at(path, data, at, line).name for at, line in places.tolist()] == \
        [s.name for s in samples]


def test_unselected_samples_rows_are_never_read(monkeypatch):
    selected = [s.name for s in read_samples(GA_30, None, pytest.fail) if re.fullmatch(PATTERN, s.name)]
    read = []
    real = phd08.is_regular  # the first look at a sample's rows

    def is_regular(data, head):
        read.append(head.name)
        return real(data, head)

    monkeypatch.setattr(phd08, "is_regular", is_regular)
    places, _ = phd08.count_file(GA_30, PATTERN, strict=True)
    assert read == selected and len(places) == 27


def test_the_second_pass_decodes_where_the_first_found_the_samples(tmp_path):
    text = sample("S_0_0_0_0_1", GOOD) + "\n \n" + sample("M_1_0_2_1_0", ["1", "1"])
    path = dump(tmp_path / "가.txt", text, crlf=True)
    places, problems = phd08.count_file(path, None, strict=False)
    assert problems == [] and places.dtype == np.int64
    assert places.tolist() == [[0, 1], [path.read_bytes().index(b"M_1"), 9]]
    path.write_bytes(b"\r\n" + path.read_bytes())  # no sample starts there any more
    images = tmp_path / "images.npy"
    np.lib.format.open_memmap(images, "w+", np.uint8, (2, 60, 60))
    with pytest.raises(RuntimeError, match="changed during the conversion"):
        phd08.fill_file(path, places, phd08.HANGUL_SPEC, images, 0)


def test_strict_stops_at_a_malformed_sample_with_status_2(tmp_path, capsys):
    dump(tmp_path / "in" / "가.txt", sample("S_0_0_0_0_1", GOOD) + "S_1\n2 2\n01\n\n")
    assert main(["--data-dir", str(tmp_path / "in"), "--out", str(tmp_path / "o"), "--strict"]) == 2
    [err] = capsys.readouterr().err.splitlines()
    assert err.startswith("error: ") and "row 2 is blank" in err and err.endswith("(--strict)")
    assert not (tmp_path / "o").exists()


def test_empty_file_and_unknown_syllable_are_reported(tmp_path):
    dump(tmp_path / "in" / "가.txt", "\n\n")
    dump(tmp_path / "in" / "나.txt", sample("S_0_0_0_0_1", GOOD))
    dump(tmp_path / "in" / "abc.txt", sample("S_0_0_0_0_1", GOOD))
    result = convert(tmp_path / "in", tmp_path / "out", progress=False)
    assert result.samples == 1 and result.files == 2
    assert any("가.txt:1: empty file" in p for p in result.problems)
    assert result.skipped_files == [f"{tmp_path / 'in' / 'abc.txt'}: 'abc' is not in the label list; skipped"]
    assert np.load(tmp_path / "out" / "labels.npy").tolist() == [291]  # 나 in KS X 1001 order


def test_labels_follow_file_names_not_listing_order(tmp_path):
    # Deeper folders and reversed names: listing order differs from syllable order.
    dump(tmp_path / "in" / "z" / "가.txt", sample("S_0_0_0_0_1", GOOD))
    dump(tmp_path / "in" / "a" / "다.txt", sample("S_0_0_0_0_1", GOOD) + sample("S_0_0_0_0_2", GOOD))
    nfd = unicodedata.normalize("NFD", "나")  # as macOS writes names
    dump(tmp_path / "in" / "m" / f"{nfd}.txt", sample("S_0_0_0_0_1", GOOD))
    convert(tmp_path / "in", tmp_path / "out", labels="present", progress=False)
    names = (tmp_path / "out" / "labels.txt").read_text(encoding="utf-8").split()
    labels = np.load(tmp_path / "out" / "labels.npy")
    assert names == ["가", "나", "다"]
    assert [names[k] for k in labels] == ["가", "나", "다", "다"]
    with open(tmp_path / "out" / "samples.csv", encoding="utf-8") as f:
        files = [Path(r["file"]).stem for r in csv.DictReader(f)]
    assert [unicodedata.normalize("NFC", f) for f in files] == ["가", "나", "다", "다"]


def test_given_label_file(tmp_path):
    dump(tmp_path / "in" / "나.txt", sample("S_0_0_0_0_1", GOOD))
    (tmp_path / "labels.txt").write_text("나\n가\n", encoding="utf-8")
    convert(tmp_path / "in", tmp_path / "out", labels=str(tmp_path / "labels.txt"), progress=False)
    assert np.load(tmp_path / "out" / "labels.npy").tolist() == [0]


def test_two_workers_give_the_same_arrays(tmp_path):
    for s in ("가", "나", "다", "라"):
        dump(tmp_path / "in" / f"{s}.txt", "".join(
            sample(f"S_{i}_0_0_0_0", [r[i % 4:] + r[:i % 4] for r in ["0110", "1111", "0110", "1001"]])
            for i in range(3)))
    convert(tmp_path / "in", tmp_path / "one", workers=1, progress=False)
    convert(tmp_path / "in", tmp_path / "two", workers=2, progress=False)
    for name in ("images.npy", "labels.npy"):
        assert np.array_equal(np.load(tmp_path / "one" / name), np.load(tmp_path / "two" / name))
    assert (tmp_path / "one" / "samples.csv").read_text() == (tmp_path / "two" / "samples.csv").read_text()


def test_finished_output_is_not_overwritten_without_flag(tmp_path, capsys):
    dump(tmp_path / "in" / "가.txt", sample("S_0_0_0_0_1", GOOD))
    assert main(["--data-dir", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 0
    before = (tmp_path / "out" / "images.npy").read_bytes()
    assert main(["--data-dir", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (tmp_path / "out" / "images.npy").read_bytes() == before
    assert main(["--data-dir", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--overwrite",
                 "--size", "32"]) == 0
    assert np.load(tmp_path / "out" / "images.npy").shape == (1, 32, 32)


def test_interrupted_run_leaves_nothing_that_looks_finished(tmp_path, monkeypatch):
    dump(tmp_path / "in" / "가.txt", sample("S_0_0_0_0_1", GOOD) + sample("S_0_0_0_0_2", GOOD))
    calls = []

    def interrupt(bits, spec):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return np.zeros((spec.size, spec.size), np.uint8)

    monkeypatch.setattr(phd08, "to_image", interrupt)
    assert main(["--data-dir", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 130
    assert not (tmp_path / "out").exists()
    monkeypatch.undo()
    assert main(["--data-dir", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 0
    assert len(np.load(tmp_path / "out" / "labels.npy")) == 2
    assert not (tmp_path / ".out.partial").exists()


def test_cli_errors_and_preview(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 2
    assert main(["--data-dir", str(tmp_path), "--out", str(tmp_path / "o"), "--pattern", "("]) == 2
    assert main(["--data-dir", str(GA_30.parent), "--out", str(tmp_path / "o"),
                 "--labels", str(tmp_path / "no-labels.txt")]) == 2
    err = capsys.readouterr().err
    assert "no such folder" in err and "error:" in err and "Traceback" not in err
    assert "no-labels.txt: cannot read labels file" in err and not (tmp_path / "o").exists()
    dump(tmp_path / "in" / "가.txt", sample("S_0_0_0_0_1", GOOD) + "S_1\n2 2\n01\n\n")
    assert main(["--data-dir", str(tmp_path / "in"), "--out", str(tmp_path / "o"),
                 "--preview", str(tmp_path / "grid.png")]) == 0
    captured = capsys.readouterr()
    assert "1 malformed samples skipped" in captured.out
    assert "warning:" in captured.err and "가.txt:10: sample 'S_1': row 2 is blank" in captured.err
    import cv2
    grid = cv2.imread(str(tmp_path / "grid.png"))
    assert grid is not None and grid.shape[0] >= 120
