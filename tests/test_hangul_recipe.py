"""The jamo-aware Hangul network and train.hangul_recipe, the one command behind models/hangul.h5."""
import json
import shlex
from pathlib import Path

import numpy as np
import pytest

FONT = Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf")
HELD = FONT.with_name("NanumGothicBold.ttf")  # a test font the tiny model never trains on
SYLLABLES = "가각나다"


def test_jamo_of_splits_syllables_into_initial_vowel_and_final():
    from train.hangul import jamo_of
    parts = jamo_of(["가", "각", "힣", "빠"])
    assert parts["initial"].tolist() == [0, 0, 18, 8]  # ㄱ ㄱ ㅎ ㅃ
    assert parts["vowel"].tolist() == [0, 0, 20, 0]    # ㅏ ㅏ ㅣ ㅏ
    assert parts["final"].tolist() == [0, 1, 27, 0]    # none ㄱ ㅎ none
    with pytest.raises(ValueError, match="precomposed Hangul"):
        jamo_of(["가", "A"])


def test_the_shipped_jamo_network_is_one_softmax_of_the_syllable_head_plus_each_parts_log_probability():
    import keras

    from drawpad.labels import ksx1001_syllables
    from train.hangul import build_model, jamo_of, shipped_model
    names = list(ksx1001_syllables())
    model = build_model(names, 60)
    assert [o.shape[-1] for o in model.outputs] == [2350, 19, 21, 28]
    spread = model.get_layer("parts_to_syllables")
    assert not spread.trainable and not spread.trainable_weights
    table = spread.get_weights()[0]
    assert set(np.unique(table)) == {0.0, 1.0} and (table.sum(axis=0) == 3).all()
    parts = jamo_of(names)
    assert table[parts["vowel"][names.index("귀")] + 19, names.index("귀")] == 1  # ㅟ's row
    shipped = shipped_model(model, names, 60, jamo=True)
    assert len(shipped.inputs) == len(shipped.outputs) == 1
    x = np.random.default_rng(0).random((2, 60, 60, 1), np.float32)
    inner = keras.Model(model.inputs, [model.get_layer(n).output for n in
                                       ("syllable_logits", "initial_log", "vowel_log", "final_log")])
    logits, *logs = inner.predict(x, verbose=0)
    total = logits + sum(log[:, parts[p]] for log, p in zip(logs, ("initial", "vowel", "final")))
    expected = np.exp(total - total.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(shipped.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(shipped.predict(x, verbose=0), model.predict(x, verbose=0)[0], atol=1e-6)


def recipe(tmp_path: Path, *extra, syllables: str = SYLLABLES, hand: str = "none") -> list[str]:
    if not (FONT.is_file() and HELD.is_file()):
        pytest.skip(f"{FONT} is not installed (apt-get install fonts-nanum)")
    (tmp_path / "fonts.txt").write_text(f"{FONT}\n")
    (tmp_path / "held.txt").write_text(f"{HELD}\n")
    (tmp_path / "labels.txt").write_text("\n".join(syllables) + "\n", encoding="utf-8")
    return ["--work", str(tmp_path / "work"), "--out", str(tmp_path / "models" / "hangul.h5"),
            "--fonts", str(tmp_path / "fonts.txt"), "--held-out", str(tmp_path / "held.txt"),
            "--labels", str(tmp_path / "labels.txt"), "--per-font", "6", "--epochs", "1",
            "--workers", "1", "--no-evaluate", "--hand", hand, "--second", "none", *extra]


def test_the_recipe_resumes_after_an_interruption_and_its_card_records_the_whole_recipe(tmp_path, monkeypatch,
                                                                                        capsys):
    from drawpad import Recognizer
    from drawpad.model_card import read_card
    from train import hangul_recipe
    argv = recipe(tmp_path)
    real_train = hangul_recipe.train_stage

    def interrupted(*args):
        raise KeyboardInterrupt
    monkeypatch.setattr(hangul_recipe, "train_stage", interrupted)
    assert hangul_recipe.main(argv) == 130
    err = capsys.readouterr().err.strip().splitlines()  # after the stages' progress lines, if any were shown
    assert err[-1] == "interrupted: the same command goes on where this one stopped", err
    work = tmp_path / "work"
    stages = json.loads((work / "stages.json").read_text())
    assert stages["synthesize"]["done"] and stages["convert"]["done"] and not stages["train"]["done"]
    made = {p.name: p.stat().st_mtime_ns for p in (work / "synth").glob("*.txt")}
    assert sorted(made) == sorted(f"{ch}.txt" for ch in SYLLABLES)
    assert not (tmp_path / "models" / "hangul.h5").exists()

    monkeypatch.setattr(hangul_recipe, "train_stage", real_train)
    assert hangul_recipe.main(argv) == 0
    assert {p.name: p.stat().st_mtime_ns for p in (work / "synth").glob("*.txt")} == made  # not redone
    out = tmp_path / "models" / "hangul.h5"
    card = read_card(out)
    assert card["command"] == shlex.join(["python", "-m", "train.hangul_recipe", *argv])
    assert card["train_command"].startswith("python -m train.hangul --data ")
    assert card["fonts"] == [str(FONT)] and card["held_out_fonts"] == [str(HELD)]
    assert card["samples"] == len(np.load(work / "data" / "labels.npy"))
    assert set(card["stage_minutes"]) == {"fonts", "synthesize", "convert", "train"}
    assert card["total_minutes"] == pytest.approx(sum(card["stage_minutes"].values()), abs=0.2)
    assert card["heads"].startswith("syllable + initial")
    assert (tmp_path / "models" / "hangul.onnx").is_file()  # converted once, at the end
    for engine in ("onnx", "keras"):
        rec = Recognizer.from_file(out, engine=engine)
        assert rec.labels == list(SYLLABLES)
        page = np.full((200, 200), 255, np.uint8)
        page[50:150, 95:105] = 0
        assert sum(p.probability for p in rec.recognize(page, top=4)) == pytest.approx(1, abs=1e-4)

    capsys.readouterr()
    assert hangul_recipe.main(recipe(tmp_path, "--seed", "1")) == 2  # other settings, same work folder
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "made with other settings (seed: 0)" in err[0], err


def test_a_missing_font_package_is_one_line_naming_what_to_install(tmp_path, monkeypatch, capsys):
    from train import hangul_recipe
    monkeypatch.setattr(hangul_recipe, "TRAIN_PACKAGES", ["fonts-not-a-real-package"])
    assert hangul_recipe.main(["--work", str(tmp_path / "w"), "--out", str(tmp_path / "m.h5")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "fonts-not-a-real-package is not installed (apt-get install" in err[0], err


def test_a_test_font_that_is_also_a_training_font_is_refused_in_one_line(tmp_path, capsys):
    from train import hangul_recipe
    argv = recipe(tmp_path)
    (tmp_path / "held.txt").write_text(f"{HELD}\n{FONT}\n")
    assert hangul_recipe.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"1 test fonts are training fonts too, e.g. {FONT}" in err[0], err
    assert not (tmp_path / "work" / "fonts.txt").exists()  # the fonts stage is not done


def test_the_real_writer_stages_leave_each_writer_out_once_and_resume_after_an_interruption(tmp_path, monkeypatch):
    from drawpad import Recognizer
    from drawpad.model_card import read_card
    from train import hangul, hangul_recipe
    hand = Path(__file__).parent / "data" / "hangul-hand"  # 가, 뉴, 들, 셌 of three writers
    argv = recipe(tmp_path, "--copies", "1", "--real-epochs", "1", "--second", "0.5,0.5", syllables="가뉴들셌",
                  hand=str(hand))
    real_main, calls = hangul.main, []

    def interrupted_at_the_third(args):
        calls.append(args)
        if len(calls) == 3:  # fonts, without-002, then this: without-003
            raise KeyboardInterrupt
        return real_main(args)
    monkeypatch.setattr(hangul, "main", interrupted_at_the_third)
    assert hangul_recipe.main(argv) == 130
    work = tmp_path / "work"
    first = (work / "real" / "without-002.h5").stat().st_mtime_ns
    assert not (work / "real" / "without-003.h5").exists() and not (work / "second" / "synth").exists()
    monkeypatch.setattr(hangul, "main", real_main)
    assert hangul_recipe.main(argv) == 0
    assert (work / "real" / "without-002.h5").stat().st_mtime_ns == first  # not redone
    for network in (work, work / "second"):
        for writer in ("002", "003", "005"):
            card = read_card(network / "real" / f"without-{writer}.h5")
            assert card["writers"] == sorted({"002", "003", "005"} - {writer})
            with open(network / "hand" / f"without-{writer}" / "samples.csv", encoding="utf-8") as fh:
                assert writer not in {line.split(",")[1] for line in fh.read().splitlines()[1:]}
    assert read_card(work / "second" / "hangul.h5")["width"] == 0.5
    assert json.loads((work / "second" / "settings.json").read_text())["cursive"] == 0.5
    out = tmp_path / "models" / "hangul.h5"
    card = read_card(out)
    assert card["writers"] == ["002", "003", "005"] and len(card["members"]) == 2
    assert card["left_out"] == {w: str(work / "mean" / f"without-{w}.h5") for w in ("002", "003", "005")}
    for writer in ("002", "003", "005"):  # each left-out mean: its two networks', neither saw the writer
        mean = work / "mean" / f"without-{writer}.h5"
        assert read_card(mean)["writers"] == sorted({"002", "003", "005"} - {writer})
        x = np.random.default_rng(0).integers(0, 256, (2, 60, 60), np.uint8)
        alone = [Recognizer.from_file(n / "real" / mean.name, engine="keras").probabilities(x)
                 for n in (work, work / "second")]
        np.testing.assert_allclose(Recognizer.from_file(mean).probabilities(x), (alone[0] + alone[1]) / 2,
                                   atol=1e-5)
    assert {"hand", "real", "second train", "second real"} <= set(card["stage_minutes"]) and card["copies"] == 1
    assert card["total_minutes"] == pytest.approx(sum(card["stage_minutes"].values()), abs=0.2)
    assert card["second_network"] == {"width": 0.5, "cursive": 0.5}
    with np.load(tmp_path / "models" / "hangul.replay.npz") as replay:  # what personalization replays
        assert sorted(np.bincount(replay["labels"])) == [3, 3, 3, 3]  # 2 fonts' and 1 real of each syllable
        assert replay["images"].shape == (12, 60, 60) and replay["images"].any(axis=(1, 2)).all()
    assert (work / "mean" / "without-002.replay.npz").is_file()  # beside each model, for its own user


@pytest.mark.parametrize("setting, before, other", [("width", 1.0, "1.5"), ("cursive", 0.0, "0.3")])
def test_a_work_folder_made_before_a_setting_existed_has_its_old_value_and_is_refused_at_another(
        tmp_path, monkeypatch, capsys, setting, before, other):
    from train import hangul_recipe

    def stop(*args):  # past the settings check: the fonts stage would start
        raise ValueError("settings accepted")
    monkeypatch.setattr(hangul_recipe, "fonts_stage", stop)
    argv = ["--work", str(tmp_path / "work"), "--out", str(tmp_path / "m.h5"), "--hand", "none"]
    assert hangul_recipe.main(argv) == 2
    settings = tmp_path / "work" / "settings.json"
    assert json.loads(settings.read_text())[setting] == before
    capsys.readouterr()
    old = {k: v for k, v in json.loads(settings.read_text()).items() if k != setting}
    settings.write_text(json.dumps(old))  # as the recipe wrote it before the option
    for same in ([], [f"--{setting}", f"{before:g}"]):
        assert hangul_recipe.main(argv + same) == 2
        assert capsys.readouterr().err.strip() == "error: settings accepted"
    assert hangul_recipe.main(argv + [f"--{setting}", other]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"made with other settings ({setting}: {before}); use another --work" in err[0], err
    assert json.loads(settings.read_text()) == old


def test_the_recipe_trains_at_its_width_and_takes_no_fonts_model_of_another(tmp_path, monkeypatch):
    import argparse

    import h5py

    from drawpad.model_card import write_card
    from train import hangul, hangul_recipe
    calls = []
    monkeypatch.setattr(hangul, "main", lambda argv: calls.append(argv) or 0)
    args = argparse.Namespace(epochs=1, batch_size=8, precision="float32", seed=0, plain=False, width=1.5)
    assert hangul_recipe.train_stage(tmp_path, tmp_path / "m.h5", ["Held.ttf"], args) == 0
    assert calls[0][calls[0].index("--width") + 1] == "1.5"

    fonts_model = tmp_path / "fonts.h5"
    h5py.File(fonts_model, "w").close()
    write_card(fonts_model, {"command": "python -m train.hangul_recipe", "stage_minutes": {"train": 100.0}})
    with pytest.raises(ValueError, match="fonts.h5 is a network of width 1, not --width 1.5"):
        hangul_recipe.take_fonts_model(fonts_model, tmp_path / "m.h5", 1.5, None)
    assert not (tmp_path / "m.h5").exists()


def test_the_recipe_synthesizes_its_share_of_cursive_pen_samples(tmp_path, monkeypatch):
    import argparse

    from data_tools import synth
    from train import hangul_recipe
    calls = []
    monkeypatch.setattr(synth, "synthesize", lambda *a, **kw: calls.append(kw) or (0, {}))
    args = argparse.Namespace(labels="ksx1001", per_font=1, seed=0, workers=1, pen=0.5, cursive=0.3)
    hangul_recipe.synthesize_stage(tmp_path, ["Font.ttf"], args, hangul_recipe.Clock(tmp_path))
    assert calls[0]["pen"] == 0.5 and calls[0]["cursive"] == 0.3


def test_the_recipe_refuses_to_publish_over_its_own_fonts_model(tmp_path, capsys):
    from train import hangul_recipe

    work = tmp_path / "work"
    assert hangul_recipe.main(["--work", str(work), "--out", str(work / "hangul.h5"), "--hand", "none"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is the work folder's own fonts model" in err[0], err
    assert not work.exists()  # refused before anything was made


def test_the_second_network_is_its_width_and_cursive_share_or_none():
    import argparse

    from train.hangul_recipe import second_network
    assert second_network("1.25,0.5") == (1.25, 0.5) and second_network("none") is None
    for bad in ("1.25", "0,0.5", "1,1.5", "a,b", "inf,0"):
        with pytest.raises(argparse.ArgumentTypeError):
            second_network(bad)
