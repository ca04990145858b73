"""Real pen strokes: replaying them, and distorting them into other writers' digits for training."""
import numpy as np

from data_tools.strokes import distorted, replay


def multi_stroke(samples):
    return next(s for s in samples if len(s["strokes"]) >= 2)


def test_no_distortion_gives_the_same_strokes(pendigits):
    s = multi_stroke(pendigits)
    same = distorted(s, np.random.default_rng(0), rotate_deg=0, shear=0, stretch=0, nudge=0)
    assert same["label"] == s["label"]
    for a, b in zip(same["strokes"], s["strokes"]):
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_nudge_moves_each_stroke_whole_and_apart_from_the_others(pendigits):
    s = multi_stroke(pendigits)
    moved = distorted(s, np.random.default_rng(0), rotate_deg=0, shear=0, stretch=0, nudge=0.05)
    shifts = [np.asarray(a) - np.asarray(b) for a, b in zip(moved["strokes"], s["strokes"])]
    for shift in shifts:
        np.testing.assert_allclose(shift, shift[:1].repeat(len(shift), 0), atol=1e-9)
    assert not np.allclose(shifts[0][0], shifts[1][0])


def test_distorted_digits_still_read_as_themselves(pendigits, digit_model):
    rng = np.random.default_rng(1)
    picks = rng.choice(len(pendigits), 200, replace=False)
    canvases = [replay(distorted(pendigits[i], rng), rng) for i in picks]
    guesses = [p[0].label for p in digit_model.recognize_batch(canvases, top=1)]
    right = np.mean([g == pendigits[i]["label"] for g, i in zip(guesses, picks)])
    assert right >= 0.95, right
