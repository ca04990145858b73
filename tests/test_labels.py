import pytest

from drawpad.errors import ModelError
from drawpad.labels import default_labels, ksx1001_syllables, read_labels


def test_ksx1001_syllables_in_code_order():
    s = ksx1001_syllables()
    assert len(s) == 2350 and len(set(s)) == 2350
    assert s[0] == "가" and s[1] == "각" and s[-1] == "힝"
    assert list(s) == sorted(s)  # KS X 1001 order is also Unicode order for these
    assert s[0].encode("euc_kr") == b"\xb0\xa1"


def test_label_set_rules():
    assert default_labels(10) == [str(i) for i in range(10)]
    assert default_labels(2350)[0] == "가"
    assert default_labels(26) is None


def test_read_labels_text_and_json(tmp_path):
    (tmp_path / "a.txt").write_text("가\n나\n\n다\n", encoding="utf-8")
    (tmp_path / "b.json").write_text('["x", "y"]', encoding="utf-8")
    assert read_labels(tmp_path / "a.txt") == ["가", "나", "다"]
    assert read_labels(tmp_path / "b.json") == ["x", "y"]


@pytest.mark.parametrize("content, message", [
    ("a\nb\na\n", "repeated"),
    ("[1, 2]", "list of strings"),
    ("[oops", "invalid JSON"),
])
def test_bad_label_files_are_refused(tmp_path, content, message):
    (tmp_path / "l.txt").write_text(content, encoding="utf-8")
    with pytest.raises(ModelError, match=message):
        read_labels(tmp_path / "l.txt")


def test_missing_label_file(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        read_labels(tmp_path / "nope.txt")
