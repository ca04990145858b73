"""train.personalize: a model fine-tuned on a user's corrected drawings."""
import numpy as np
import pytest

from drawpad.canvas import draw_strokes
from drawpad.samples import SampleStore, model_key
from tests.conftest import DIGIT_MODEL, MNIST_500, STROKES_200, need


def zigzag(rng, scale=1.0, left=100, top=100, pen=16):
    """This user's 3: a Z, which no MNIST 3 looks like."""
    s = 200 * scale
    z = [[(left + rng.integers(-8, 8), top), (left + s, top + rng.integers(-8, 8)), (left, top + s),
          (left + s + rng.integers(-8, 8), top + s)]]
    return draw_strokes(np.full((400, 400), 255, np.uint8), z, pen), z


def run(*args):
    from train.personalize import main
    return main([str(a) for a in args])


def test_personal_model_reads_the_corrected_drawings_and_has_its_card(tmp_path, capsys):
    from drawpad import Recognizer
    from drawpad.model_card import read_card
    need(DIGIT_MODEL)
    rng = np.random.default_rng(0)
    store = SampleStore(tmp_path / "samples", "mnist")
    for _ in range(6):
        image, strokes = zigzag(rng)
        store.save("3", image, strokes, 16)
    out = tmp_path / "mine.h5"
    assert run("--model", DIGIT_MODEL, "--samples", store.folder, "--out", out, "--mnist", MNIST_500,
               "--strokes", STROKES_200, "--replay", 400, "--epochs", 3) == 0
    card = read_card(out)
    assert card["personal_samples"] == {"3": 6} and card["name"] == "mine"
    assert card["base_model"] == "mnist" and model_key(card, out) == "mnist"  # the pad adds to the same samples
    assert card["command"].startswith("python -m train.personalize") and "commit" in card
    assert len(card["base_sha256"]) == 64 and card["labels"] == [str(d) for d in range(10)]
    others = [zigzag(rng, scale=rng.uniform(0.5, 1.3), left=int(rng.integers(20, 120)),
                     pen=int(rng.integers(8, 24)))[0] for _ in range(10)]
    read = {m: sum(p[0].label == "3" for p in Recognizer.from_file(m).recognize_batch(others, top=1))
            for m in (DIGIT_MODEL, out)}
    assert read[out] >= 8 and read[out] > read[DIGIT_MODEL], read
    # --train last (the default): the layers before the last convolution are the base model's
    assert card["trained_layers"].startswith("last: conv2d_6, ") and card["base_check"]["images"] == 80
    base, mine = (Recognizer.from_file(m, engine="keras").model for m in (DIGIT_MODEL, out))
    names = [layer.name for layer in base.layers]
    for a, b in zip(base.layers[:names.index("conv2d_6")], mine.layers):
        assert all(np.array_equal(w, v) for w, v in zip(a.get_weights(), b.get_weights())), a.name
    assert not np.array_equal(base.layers[-1].get_weights()[0], mine.layers[-1].get_weights()[0])


@pytest.mark.parametrize("make, says", [
    (lambda d: None, "no such samples folder"),
    (lambda d: d.mkdir(), "no samples"),
    (lambda d: SampleStore(d.parent, d.name).save("x", np.full((9, 9), 255, np.uint8)), "does not have: x"),
    (lambda d: (d / "7").mkdir(parents=True) or (d / "7" / "bad.png").write_bytes(b"not a png"), "bad.png"),
])
def test_bad_sample_folders_are_refused_in_one_line(tmp_path, capsys, make, says):
    need(DIGIT_MODEL)
    folder = tmp_path / "samples"
    make(folder)
    assert run("--model", DIGIT_MODEL, "--samples", folder, "--out", tmp_path / "mine.h5",
               "--mnist", MNIST_500, "--strokes", STROKES_200) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and says in err[0], err
    assert not (tmp_path / "mine.h5").exists()


HANGUL_MODEL = DIGIT_MODEL.with_name("hangul.h5")
HAND = DIGIT_MODEL.parents[1] / "tests" / "data" / "hangul-hand"


def test_hangul_needs_nothing_but_the_samples_the_replay_set_ships_beside_the_model(tmp_path, capsys):
    import shutil

    from drawpad import Recognizer
    from drawpad.model_card import read_card
    from train.common import networks
    need(HANGUL_MODEL)
    folder = tmp_path / "samples"
    for code, label in (("AC00", "가"), ("B274", "뉴"), ("B4E4", "들")):  # scanned cells: no strokes
        (folder / label).mkdir(parents=True)
        shutil.copy(HAND / "002" / f"{code}.png", folder / label / "1.png")
    out = tmp_path / "mine.h5"
    assert run("--model", HANGUL_MODEL, "--samples", folder, "--out", out, "--replay", 300, "--copies", 2,
               "--epochs", 1) == 0
    card = read_card(out)
    assert card["personal_samples"] == {"가": 1, "뉴": 1, "들": 1} and card["base_replays"] > 0
    # The shipped model is a mean of two networks (train.average): each learns every layer, the
    # default for a jamo model, with its own jamo heads.
    trained = card["trained_layers"]
    assert trained.startswith("all + jamo parts") and len(trained.split("; ")) == len(card["members"]) == 2, trained
    base, mine = (Recognizer.from_file(m, engine="keras").model for m in (HANGUL_MODEL, out))
    x = np.random.default_rng(0).random((3, 60, 60, 1), np.float32)
    alone = []
    for before, after in zip(networks(base), networks(mine)):
        first_conv = next(layer for layer in before.layers if layer.weights).name
        assert not np.array_equal(before.get_layer(first_conv).get_weights()[0],
                                  after.get_layer(first_conv).get_weights()[0])
        alone.append(after.predict(x, verbose=0))
    np.testing.assert_allclose(mine.predict(x, verbose=0), np.mean(alone, axis=0), atol=1e-5)
    lone = tmp_path / "lone"
    lone.mkdir()
    shutil.copy(HANGUL_MODEL, lone / "hangul.h5")  # without its replay set beside it
    capsys.readouterr()
    assert run("--model", lone / "hangul.h5", "--samples", folder, "--out", tmp_path / "x.h5") == 2
    assert capsys.readouterr().err.startswith("error: hangul.h5 has no replay set beside it (hangul.replay.npz)")

