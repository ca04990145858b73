"""The shipped Korean language model (drawpad.language) and what builds it."""
import subprocess
import sys

import numpy as np
import pytest

from drawpad.errors import DrawpadError
from drawpad.labels import ksx1001_syllables
from drawpad.language import SHIPPED, LanguageModel, korean
from tests.conftest import ROOT


def test_it_loads_and_every_syllable_after_every_kind_of_context_has_a_finite_probability():
    lm = korean()
    assert lm is korean()  # read once
    syllables = np.arange(1, lm.n)
    for context in ("", "사", "사람", "뷁"):  # a line's start, inside a word, after one, after no word's syllable
        contexts = lm.start()
        for symbol in lm.ids(context):
            contexts = lm.extend(contexts, np.array([symbol]))[1][:, 0]
        logp = lm.extend(contexts, syllables)[0][0]
        assert np.isfinite(logp).all() and (logp >= np.log(lm.floor / lm.n) - 1e-6).all()
        if not context:  # nothing to end at a line's start: a distribution over the first syllable and the end
            assert np.exp(logp).sum() + np.exp(lm.end(contexts)[0]) == pytest.approx(1, abs=0.01)


def test_known_words_beat_the_same_syllables_scrambled_and_near_misses():
    lm = korean()
    for word, worse in [("사람", "람사"), ("대학교", "교학대"), ("일요일", "일일요"), ("사랑", "사량"),
                        ("대학교", "대악교"), ("컴퓨터", "컴퓨처")]:
        assert lm.score(word) > lm.score(worse) + 2, (word, worse)
    known = lm.word_logp(["사람", "대학교", "일요일"])
    assert known[0] > known[1] > known[2]  # by frequency
    assert np.isnan(lm.word_logp(["람사", "", "사람1", "가나다라마바"])).all()


def test_a_line_may_hold_several_words_and_labels_it_does_not_know():
    lm = korean()
    assert lm.score("학교에서") > lm.score("학교에흐") + 2  # 학교 + 에서, no space
    assert list(lm.ids(["7", "힣", "가"])) == [-1, -1, 1]  # a digit, a syllable outside KS X 1001
    logp, contexts = lm.extend(np.array([[0, 1]]), lm.ids(["7", "가"]))  # after 가
    assert logp[0, 0] == pytest.approx(np.log(lm.floor / lm.n))
    assert contexts[0, 0].tolist() == [0, 0] and contexts[0, 1, 1] == 1  # an unknown label ends the word


def test_a_file_that_is_not_a_language_model_is_one_clear_error(tmp_path):
    bad = tmp_path / "lm.npz"
    np.savez(bad, unigram=np.zeros(3))
    with pytest.raises(DrawpadError, match=r"lm.npz: not a drawpad language model \(it has no meta\)$"):
        LanguageModel.load(bad)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DrawpadError, match=r"junk.npz: cannot read the language model"):
        LanguageModel.load(tmp_path / "junk.npz")


def test_the_shipped_file_is_small_says_its_source_and_is_installed_with_the_package():
    assert SHIPPED.stat().st_size < 1_000_000
    meta = korean().meta
    assert {"source", "license", "words", "alpha", "floor", "command"} <= set(meta)
    assert meta["source"].startswith("wordfreq") and "CC-BY-SA-4.0" in meta["license"]
    assert meta["symbols"] == len(ksx1001_syllables()) + 1
    pyproject = (ROOT / "pyproject.toml").read_text()
    import tomllib
    assert "korean_lm.npz" in tomllib.loads(pyproject)["tool"]["setuptools"]["package-data"]["drawpad"]


def test_the_build_gives_the_same_tables_from_a_small_list(tmp_path):
    from data_tools.build_language import build, write

    words = {"사람": 1e-3, "사랑": 5e-4, "사과": 1e-4, "람": 1e-5, "abc": 1e-3, "뷁x": 1e-3}
    write(build(words, alpha=1.0, floor=0.05), tmp_path / "small.npz")
    lm = LanguageModel.load(tmp_path / "small.npz")
    found, left_out = lm.word_logp(["사람", "abc"])  # abc: not of KS X 1001 syllables
    assert found == pytest.approx(np.log(1e-3 / (1e-3 + 5e-4 + 1e-4 + 1e-5)), abs=1e-3) and np.isnan(left_out)
    assert lm.score("사람") > lm.score("사과") > lm.score("과사")
    assert not list(tmp_path.glob(".*partial"))


def test_build_command_needs_wordfreq_or_says_so(tmp_path):
    out = tmp_path / "lm.npz"
    run = subprocess.run([sys.executable, "-m", "data_tools.build_language", "--out", str(out), "--floor", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and not out.exists()
    assert run.stderr.strip() in ("error: floor must be between 0 and 1, not 2.0",
                                  "error: wordfreq is not installed: pip install wordfreq")

