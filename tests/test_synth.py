from pathlib import Path

import numpy as np
import pytest

from data_tools import phd08
from data_tools.synth import find_fonts, font_code, has_glyph, main, render_sample

NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"


@pytest.fixture(scope="module")
def font():
    if not Path(NANUM).is_file():
        pytest.skip("fonts-nanum not installed (apt-get install fonts-nanum)")
    return NANUM


def test_missing_glyphs_are_detected_not_drawn_as_tofu(font):
    assert has_glyph(font, "가") and has_glyph(font, "힝")
    assert not has_glyph(font, "\u0f00")  # Tibetan: no glyph in a Korean font
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    if __import__("os").path.exists(dejavu):
        assert not has_glyph(dejavu, "가")
        assert dejavu not in map(str, find_fonts("/usr/share/fonts/truetype/dejavu"))


def test_font_codes_fit_the_phd08_name_pattern():
    assert font_code(Path("NanumGothic-Bold.ttf")) == "NANUMGOTHICBOLD"


def test_samples_vary_in_proportions_as_fonts_do(font):
    # Same font, syllable and fields: only the random distortion differs. With
    # +-8% stretch and a fine warp alone, tallest/widest was 1.43; now 2.73.
    rng = np.random.default_rng(0)
    aspects = [b.shape[0] / b.shape[1] for b in
               (render_sample(font, "가", (1, 0, 1, 1, 1), rng) for _ in range(40))]
    assert max(aspects) / min(aspects) > 2


def test_synthesized_dumps_round_trip_through_the_converter(font, tmp_path):
    (tmp_path / "labels.txt").write_text("가\n힝\n", encoding="utf-8")
    (tmp_path / "fonts.txt").write_text(font + "\n", encoding="utf-8")
    assert main(["--fonts", str(tmp_path / "fonts.txt"), "--out", str(tmp_path / "dumps"),
                 "--labels", str(tmp_path / "labels.txt"), "--per-font", "4", "--seed", "1"]) == 0
    assert sorted(p.name for p in (tmp_path / "dumps").glob("*.txt")) == ["가.txt", "힝.txt"]
    counts = []
    for ch in "가힝":  # every sample parses; a rendering with no ink at all is left out
        samples = list(phd08.read_samples(tmp_path / "dumps" / f"{ch}.txt", None, pytest.fail))
        assert 3 <= len(samples) <= 4
        assert all(s.name.startswith("NANUMGOTHIC_") and len(s.fields()) == 6 for s in samples)
        assert len({s.name for s in samples}) == len(samples)
        counts.append(len(samples))
    result = phd08.convert(tmp_path / "dumps", tmp_path / "arrays", labels="present", progress=False)
    assert result.samples == sum(counts) and result.problems == []
    labels = np.load(tmp_path / "arrays" / "labels.npy")
    assert labels.tolist() == [0] * counts[0] + [1] * counts[1]
    # Same seed, same dumps: synthesis is reproducible.
    assert main(["--fonts", str(tmp_path / "fonts.txt"), "--out", str(tmp_path / "again"),
                 "--labels", str(tmp_path / "labels.txt"), "--per-font", "4", "--seed", "1"]) == 0
    assert (tmp_path / "again" / "가.txt").read_bytes() == (tmp_path / "dumps" / "가.txt").read_bytes()


def test_no_fonts_is_a_clear_error(tmp_path, capsys):
    assert main(["--fonts", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "no Korean fonts" in capsys.readouterr().err


def test_an_unreadable_labels_file_is_a_clear_error(font, tmp_path, capsys):
    (tmp_path / "fonts.txt").write_text(font + "\n", encoding="utf-8")
    assert main(["--fonts", str(tmp_path / "fonts.txt"), "--out", str(tmp_path / "o"),
                 "--labels", str(tmp_path / "no-labels.txt")]) == 2
    assert "no-labels.txt: cannot read labels file" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_a_font_collection_gives_each_korean_look_once_named_by_its_face():
    from data_tools.synth import distinct_korean, faces
    noto = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    if not noto.is_file():
        pytest.skip(f"{noto} is not installed (apt-get install fonts-noto-cjk)")
    every = faces(noto)
    assert len(every) == 10  # JP, KR, SC, TC, HK, and their Mono faces
    kept = distinct_korean(every)  # they share their Hangul: the KR face stands for them
    assert kept == [f"{noto}#1"] and font_code(kept[0]) == "NOTOSANSCJKKRREGULAR"
    assert has_glyph(kept[0], "뷁") and not has_glyph(kept[0], "\uE000")


def test_cursive_pen_samples_are_written_otherwise(font, tmp_path):
    (tmp_path / "labels.txt").write_text("녕\n", encoding="utf-8")
    (tmp_path / "fonts.txt").write_text(font + "\n", encoding="utf-8")
    dumps = {}
    for name, extra in {"pen": [], "cursive": ["--cursive", "1"]}.items():
        assert main(["--fonts", str(tmp_path / "fonts.txt"), "--out", str(tmp_path / name), "--labels",
                     str(tmp_path / "labels.txt"), "--per-font", "6", "--pen", "1", *extra]) == 0
        dumps[name] = (tmp_path / name / "녕.txt").read_bytes()
        samples = list(phd08.read_samples(tmp_path / name / "녕.txt", None, pytest.fail))
        assert len(samples) >= 5
    assert dumps["cursive"] != dumps["pen"]
