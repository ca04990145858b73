"""The training code path on tiny data: model, card, curve, confusions, resume."""
import csv
import json
import re
import shlex
import subprocess

import keras
import numpy as np
import pytest

from drawpad import Recognizer
from tests.conftest import MNIST_500, ROOT


class StopAt(keras.callbacks.Callback):
    """Raises like a Colab disconnect at the end of an epoch (after its backup)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


class Seen(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def tiny_model():
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(3, activation="softmax")])


def test_interrupted_fit_resumes_where_it_stopped(tmp_path, capsys):
    from train.common import fit
    from train.interrupt import interruptible
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (96, 8, 8), dtype=np.uint8)
    y = (x.mean(axis=(1, 2)) > 127).astype(int) + (x[:, 0, 0] > 200)
    data = dict(epochs=4, batch_size=16, strategy="default", out=tmp_path / "m.h5")
    # Ctrl-C in a training script: one line saying where the backup stands, status 130.
    stopped = interruptible(lambda argv: fit(tiny_model, (x, y), (x[:32], y[:32]), callbacks=[StopAt(1)], **data))
    assert stopped() == 130
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"interrupted with 2 of 4 epochs done; the same command resumes from there "
        f"(state in {tmp_path / 'm.backup'})")
    seen = Seen()
    model, backup = fit(tiny_model, (x, y), (x[:32], y[:32]), callbacks=[seen], **data)
    assert seen.epochs == [2, 3]  # epochs 0 and 1 were not trained again
    with open(backup / "history.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1, 2, 3]
    assert (backup / "best.weights.h5").exists() and model.output_shape == (None, 3)


def test_a_best_weights_save_cut_off_midway_leaves_the_previous_best_to_resume_from(tmp_path, monkeypatch):
    from train.common import KeepBest
    model, best = tiny_model(), tmp_path / "best.weights.h5"
    keep = KeepBest(best)
    keep.set_model(model)
    keep.on_epoch_end(0, {"val_accuracy": 0.5})
    first = model.get_weights()
    model.set_weights([w + 1 for w in first])
    save = model.save_weights

    def disconnected(path, *args, **kwargs):  # Colab goes away halfway through the file
        whole = tmp_path / "whole.weights.h5"
        save(whole)
        data = whole.read_bytes()
        whole.unlink()
        with open(path, "wb") as f:
            f.write(data[:len(data) // 2])
        raise KeyboardInterrupt
    monkeypatch.setattr(model, "save_weights", disconnected)
    with pytest.raises(KeyboardInterrupt):
        keep.on_epoch_end(1, {"val_accuracy": 0.9})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.weights.h5", "best.weights.json"]
    resumed = tiny_model()
    resumed.load_weights(best)
    assert all(np.array_equal(a, b) for a, b in zip(resumed.get_weights(), first))
    assert KeepBest(best).best == 0.5


def test_ctrl_c_before_fit_says_no_model_was_written(capsys):
    from train.interrupt import interruptible

    def preprocessing(argv):
        raise KeyboardInterrupt
    assert interruptible(preprocessing)() == 130
    assert capsys.readouterr().err.startswith("interrupted: no model was written;")


def test_early_stopping_waits_for_the_second_half_of_the_schedule(tmp_path):
    from train.common import fit
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (64, 8, 8), dtype=np.uint8)
    y = (x.mean(axis=(1, 2)) > 127).astype(int)
    seen = Seen()
    # A learning rate of 0: validation accuracy never improves after the first epoch.
    fit(tiny_model, (x, y), (x[:32], y[:32]), epochs=8, batch_size=16, strategy="default",
        out=tmp_path / "m.h5", lr=0.0, patience=1, callbacks=[seen])
    assert seen.epochs[-1] >= 4  # not stopped in the first half (after epoch 1, as it was)
    assert len(seen.epochs) < 8  # but it still stops when nothing improves


def test_digit_training_writes_a_loadable_model_with_card_curve_and_confusions(tmp_path):
    from train.digits import main
    out = tmp_path / "digits.h5"
    args = ["--mnist", str(MNIST_500), "--out", str(out), "--limit", "240",
            "--epochs", "1", "--copies", "0", "--strokes", "none", "--strategy", "default"]
    assert main(args) == 0
    rec = Recognizer.from_file(out)
    assert rec.labels == list("0123456789") and rec.spec.size == 28
    assert 0 <= rec.card["test_accuracy"] <= 1 and rec.card["preprocessing"]["box"] == 20
    assert rec.card["test_data"] == "MNIST test (500 digits) through drawpad.preprocess"
    # what made it: the command that reproduces it and the checkout's commit
    assert rec.card["command"] == shlex.join(["python", "-m", "train.digits", *args])
    assert shlex.split(rec.card["command"])[3:] == args
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert head and re.fullmatch(re.escape(head) + r"(\+dirty)?", rec.card["commit"]), rec.card["commit"]
    assert (tmp_path / "digits.curve.png").stat().st_size > 1000
    assert "true -> guess" in (tmp_path / "digits.confusions.txt").read_text()
    assert not (tmp_path / "digits.backup").exists()  # finished: the next run starts fresh


def test_digit_training_reports_bad_data_in_one_line_before_any_work(tmp_path, capsys):
    from train.digits import main
    out = tmp_path / "digits.h5"
    broken = tmp_path / "strokes.ndjson"
    broken.write_text('{"label": "1", "strokes": [[[0, 0], [0, 9]]]}\n{"label": \n')
    for bad, where in [(["--mnist", str(tmp_path / "none"), "--strokes", "none"], "none: expected a folder"),
                       (["--strokes", str(tmp_path / "no.ndjson")], "no.ndjson: cannot read"),
                       (["--strokes", str(broken)], "strokes.ndjson:2: not a JSON object")]:
        args = ["--mnist", str(MNIST_500), "--out", str(out), "--epochs", "1"] + bad
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: ") and where in err[0], err
    assert not out.exists()


def test_digit_training_refuses_to_run_without_pen_strokes_unless_told_none(tmp_path, monkeypatch, capsys):
    import train.digits
    out = tmp_path / "digits.h5"
    monkeypatch.setattr(train.digits, "LOCAL_STROKES", [tmp_path / "no" / "pendigits-train.ndjson.gz"])
    assert train.digits.main(["--mnist", str(MNIST_500), "--out", str(out), "--epochs", "1"]) == 2
    captured = capsys.readouterr()
    [err] = captured.err.strip().splitlines()
    assert err.startswith("error: no pen strokes") and "--strokes none" in err and "pendigits-train" in err
    assert captured.out == "" and not out.exists()  # refused before anything else
    # where the local copy is found it is the default (this one is broken, so the error names it)
    broken = tmp_path / "broken.ndjson"
    broken.write_text('{"label": \n')
    monkeypatch.setattr(train.digits, "LOCAL_STROKES", [tmp_path / "no.ndjson", broken])
    assert train.digits.main(["--mnist", str(MNIST_500), "--out", str(out), "--epochs", "1"]) == 2
    assert f"error: {broken}:1: not a JSON object" in capsys.readouterr().err and not out.exists()


def test_git_commit_is_the_checkouts_short_head_dirty_only_for_tracked_changes(tmp_path):
    from train.common import git_commit, provenance
    assert git_commit(tmp_path) is None  # not a checkout: an installed package
    repo = tmp_path / "repo"
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("a")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "a"], check=True)
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert git_commit(repo) == head
    (repo / "new.txt").write_text("untracked files are not the model's code")
    assert git_commit(repo) == head
    (repo / "a.txt").write_text("b")
    assert git_commit(repo) == head + "+dirty"
    (repo / "sub").mkdir()
    assert git_commit(repo / "sub") is None  # inside a checkout but not its top: not this project's
    made = provenance("train.digits", ["--out", "my models/m.h5", "--seed", 3])
    assert made["command"] == "python -m train.digits --out 'my models/m.h5' --seed 3"


def test_digit_training_averages_with_an_earlier_model_of_the_same_input_only(tmp_path, capsys):
    from data_tools.mnist import load_mnist
    from drawpad.model_card import read_card, write_card
    from drawpad.preprocess import DIGITS_SPEC
    from train.common import members_of
    from train.digits import main
    quick = ["--mnist", str(MNIST_500), "--limit", "240", "--epochs", "1", "--copies", "0",
             "--strokes", "none", "--strategy", "default"]
    model = tmp_path / "digits.h5"
    assert main(quick + ["--out", str(model)]) == 0
    _, (digits, _) = load_mnist(MNIST_500)
    x = np.stack([Recognizer.from_file(model).prepare(255 - d) for d in digits[:20]])
    first = Recognizer.from_file(model).probabilities(x)
    # averaged in place, as the README does
    assert main(quick + ["--out", str(model), "--seed", "1", "--average-with", str(model)]) == 0

    rec = Recognizer.from_file(model)
    members, cards = members_of(model, rec.labels, DIGITS_SPEC)  # a saved mean gives its members back
    assert len(members) == 2 and len(rec.card["members"]) == 2
    assert [c["trained_on"].endswith(f"seed {s}, 1 epoch") for c, s in zip(cards, (0, 1))] == [True, True]
    second = quick + ["--out", str(model), "--seed", "1", "--average-with", str(model)]
    assert [shlex.split(c["command"])[3:] for c in cards] == [quick + ["--out", str(model)], second]
    assert rec.card["command"] == shlex.join(["python", "-m", "train.digits", *second])
    assert all(0 <= c["test_accuracy"] <= 1 for c in [rec.card, *cards])
    alone = [m.predict_on_batch(x[..., None] / np.float32(255)) for m in members]
    np.testing.assert_allclose(alone[0], first, atol=1e-5)  # the first model, unchanged
    assert not np.allclose(alone[0], alone[1], atol=1e-3)  # the new one is another model
    np.testing.assert_allclose(rec.probabilities(x), (alone[0] + alone[1]) / 2, atol=1e-5)

    # A model fed other input cannot join the mean: refused before any training.
    card = read_card(model)
    write_card(model, {**card, "preprocessing": {**card["preprocessing"], "keep_fill": False}})
    capsys.readouterr()
    assert main(quick + ["--out", str(tmp_path / "no.h5"), "--average-with", str(model)]) == 2
    assert "keep_fill False -> True" in capsys.readouterr().err and not (tmp_path / "no.h5").exists()


def test_training_skips_the_blank_samples_the_preprocessing_refused(tmp_path):
    from train.common import inked_rows

    images = np.lib.format.open_memmap(tmp_path / "images.npy", "w+", np.uint8, (7, 4, 4))
    images[[0, 2, 3, 6], 1, 2] = 255
    # chunk=3 puts blanks at chunk starts, ends and across a boundary
    assert inked_rows(np.load(tmp_path / "images.npy", mmap_mode="r"), chunk=3).tolist() == [0, 2, 3, 6]


def converter_output(folder, names, n=48, seed=0):
    """A tiny folder shaped like data_tools.phd08's output: one bright square per class, in a class-specific place."""
    from drawpad.labels import write_labels
    from drawpad.preprocess import HANGUL_SPEC

    rng = np.random.default_rng(seed)
    folder.mkdir()
    labels = np.arange(n) % len(names)
    images = np.zeros((n, HANGUL_SPEC.size, HANGUL_SPEC.size), np.uint8)
    for image, label in zip(images, labels):
        y, x = 6 + 16 * label + rng.integers(0, 4), 20 + rng.integers(0, 4)
        image[y:y + 10, x:x + 10] = 255
    np.save(folder / "images.npy", images)
    np.save(folder / "labels.npy", labels)
    write_labels(folder / "labels.txt", names)
    (folder / "preprocessing.json").write_text(json.dumps(HANGUL_SPEC.to_dict()))
    return folder


def test_hangul_fine_tuning_starts_from_the_given_model_and_refuses_other_labels_or_input_size(tmp_path, capsys):
    from train.hangul import main
    data = converter_output(tmp_path / "data", ["가", "나", "다"])
    common = ["--data", str(data), "--epochs", "1", "--strategy", "default", "--val-fraction", "0.25"]
    model = tmp_path / "hangul.h5"
    assert main(common + ["--out", str(model), "--held-out-fonts", "Kept.ttf"]) == 0

    def kernel():
        return keras.models.load_model(model, compile=False).get_layer(index=1).get_weights()[0]

    before = kernel()
    capsys.readouterr()
    # fine-tuned in place, as the README does
    assert main(common + ["--out", str(model), "--init", str(model), "--lr", "1e-9"]) == 0
    # at a learning rate of ~0 the fine-tuned kernels are the starting model's, not fresh random ones
    np.testing.assert_allclose(kernel(), before, atol=1e-6)
    card = Recognizer.from_file(model).card
    assert card["trained_on"] == "36 samples from data, starting from hangul.h5 (36 samples from data)"
    assert card["command"] == shlex.join(["python", "-m", "train.hangul", *common, "--out", str(model),
                                          "--init", str(model), "--lr", "1e-9"])
    assert card["held_out_fonts"] == ["Kept.ttf"]  # still never seen, so still the test fonts
    assert "note" not in capsys.readouterr().out

    shifted = converter_output(tmp_path / "shifted", ["나", "가", "다"])
    assert main(["--data", str(shifted), "--out", str(tmp_path / "x.h5"), "--init", str(model)]) == 2
    assert "labels" in capsys.readouterr().err and not (tmp_path / "x.h5").exists()

    # another preprocessing of the same size (data converted before keep_fill existed,
    # so with its default, False): fine-tuned to it, and the card says so
    older = {k: v for k, v in json.loads((data / "preprocessing.json").read_text()).items() if k != "keep_fill"}
    (data / "preprocessing.json").write_text(json.dumps(older))
    assert main(common + ["--out", str(tmp_path / "y.h5"), "--init", str(model)]) == 0
    assert "keep_fill True -> False" in capsys.readouterr().out
    assert not Recognizer.from_file(tmp_path / "y.h5").spec.keep_fill
    (data / "preprocessing.json").write_text(json.dumps({**older, "size": 56}))
    assert main(common + ["--out", str(tmp_path / "z.h5"), "--init", str(model)]) == 2
    assert "60x60 inputs, this data is 56x56" in capsys.readouterr().err


def test_hangul_width_scales_every_convolution_and_the_dense_layer_and_fine_tuning_keeps_it(tmp_path, capsys):
    from train.hangul import DENSE, WIDTHS, layer_sizes, main
    assert layer_sizes(1) == (WIDTHS, DENSE) and layer_sizes(1.5) == ((40, 48, 96, 192), 768)
    data = converter_output(tmp_path / "data", ["가", "나", "다"])
    common = ["--data", str(data), "--epochs", "1", "--strategy", "default", "--val-fraction", "0.25"]
    narrow = tmp_path / "narrow.h5"
    assert main(common + ["--out", str(narrow), "--width", "0.5"]) == 0

    def sizes(path):
        model = keras.models.load_model(path, compile=False)
        return ([layer.filters for layer in model.layers if isinstance(layer, keras.layers.Conv2D)],
                [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)][0])  # the hidden one
    assert sizes(narrow) == ([16, 16, 32, 64], 256) and Recognizer.from_file(narrow).card["width"] == 0.5
    # fine-tuned, the network keeps the width its card records (no --width needed), and no other fits it
    tuned = tmp_path / "tuned.h5"
    assert main(common + ["--out", str(tuned), "--init", str(narrow)]) == 0
    assert sizes(tuned) == sizes(narrow) and Recognizer.from_file(tuned).card["width"] == 0.5
    capsys.readouterr()
    assert main(common + ["--out", str(tmp_path / "x.h5"), "--init", str(narrow), "--width", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "a network of width 0.5, so it cannot be fine-tuned at --width 1" in err[0], err
    assert not (tmp_path / "x.h5").exists()
    with pytest.raises(SystemExit):
        main(common + ["--out", str(tmp_path / "x.h5"), "--width", "0"])
    assert "'0' is not a positive number" in capsys.readouterr().err


def test_hangul_average_keeps_only_fonts_no_member_saw_and_cannot_be_fine_tuned(tmp_path, capsys):
    from train.hangul import main
    data = converter_output(tmp_path / "data", ["가", "나", "다"])
    common = ["--data", str(data), "--epochs", "1", "--strategy", "default", "--val-fraction", "0.25"]
    first, mean = tmp_path / "first.h5", tmp_path / "mean.h5"
    assert main(common + ["--out", str(first), "--held-out-fonts", "A.ttf", "B.ttf"]) == 0
    assert main(common + ["--out", str(mean), "--seed", "1", "--average-with", str(first),
                          "--held-out-fonts", "B.ttf", "C.ttf"]) == 0
    card = Recognizer.from_file(mean).card
    assert card["held_out_fonts"] == ["B.ttf"] and len(card["members"]) == 2
    assert card["members"][0]["held_out_fonts"] == ["A.ttf", "B.ttf"]

    capsys.readouterr()
    assert main(common + ["--out", str(tmp_path / "x.h5"), "--init", str(mean)]) == 2
    assert "mean of 2 models" in capsys.readouterr().err


def test_average_puts_trained_models_into_one_mean_of_same_labels_only(tmp_path, capsys):
    from train.average import main as average
    from train.hangul import main as train
    data = converter_output(tmp_path / "data", ["가", "나", "다"])
    common = ["--data", str(data), "--epochs", "1", "--strategy", "default", "--val-fraction", "0.25"]
    a, b, c, mean = (tmp_path / f"{n}.h5" for n in "abcm")
    assert train(common + ["--out", str(a), "--held-out-fonts", "A.ttf", "B.ttf"]) == 0
    assert train(common + ["--out", str(b), "--seed", "1", "--held-out-fonts", "B.ttf", "C.ttf"]) == 0
    x = np.load(data / "images.npy")[:6]
    pa, pb = (Recognizer.from_file(m).probabilities(x) for m in (a, b))
    assert average([str(a), str(b), "--out", str(mean)]) == 0

    rec = Recognizer.from_file(mean)
    np.testing.assert_allclose(rec.probabilities(x), (pa + pb) / 2, atol=1e-5)
    assert rec.card["command"] == shlex.join(["python", "-m", "train.average", str(a), str(b), "--out", str(mean)])
    assert [m["command"] for m in rec.card["members"]] == [
        shlex.join(["python", "-m", "train.hangul", *common, "--out", str(a), "--held-out-fonts", "A.ttf", "B.ttf"]),
        shlex.join(["python", "-m", "train.hangul", *common, "--out", str(b), "--seed", "1",
                    "--held-out-fonts", "B.ttf", "C.ttf"])]
    assert rec.labels == ["가", "나", "다"] and rec.card["held_out_fonts"] == ["B.ttf"]
    assert [m["held_out_fonts"] for m in rec.card["members"]] == [["A.ttf", "B.ttf"], ["B.ttf", "C.ttf"]]
    # a mean given as a member adds its members, each weighing the same; --out may be an input
    assert train(common + ["--out", str(c), "--seed", "2"]) == 0
    pc = Recognizer.from_file(c).probabilities(x)
    assert average([str(mean), str(c), "--out", str(mean)]) == 0
    np.testing.assert_allclose(Recognizer.from_file(mean).probabilities(x), (pa + pb + pc) / 3, atol=1e-5)
    assert len(Recognizer.from_file(mean).card["members"]) == 3

    # other labels would mix different things: refused, nothing written
    other = converter_output(tmp_path / "other", ["가", "나", "라"])
    assert train(["--data", str(other), *common[2:], "--out", str(tmp_path / "o.h5")]) == 0
    capsys.readouterr()
    assert average([str(a), str(tmp_path / "o.h5"), "--out", str(tmp_path / "no.h5")]) == 2
    assert "labels are not this model's" in capsys.readouterr().err and not (tmp_path / "no.h5").exists()
    with pytest.raises(SystemExit):
        average([str(a), "--out", str(tmp_path / "no.h5")])
