"""A line's best readings (drawpad.beam_search) from made-up probabilities: what the
language prior may change, and what it must not."""
import numpy as np
import pytest

from drawpad.beam_search import Prior, Span, best_readings, line_readings, prior_for
from drawpad.labels import DIGIT_LABELS, ksx1001_syllables
from drawpad.language import korean
from drawpad.segment import Box

HANGUL = list(ksx1001_syllables())


def guesses(labels, **probabilities) -> np.ndarray:
    """Probabilities over `labels`: those given, the rest of the mass spread over the others."""
    p = np.zeros(len(labels))
    for label, q in probabilities.items():
        p[labels.index(label)] = q
    rest = p == 0
    p[rest] = (1 - p.sum()) / rest.sum()
    return p


def line(*characters, labels=HANGUL) -> list[Span]:
    """One span a character, left to right."""
    return [Span(k, k + 1, Box(40 * k, 0, 40 * k + 30, 30), guesses(labels, **c)) for k, c in enumerate(characters)]


def test_an_ambiguous_character_is_read_as_the_word_and_a_sure_one_as_drawn():
    prior = Prior(korean())
    unsure = line({"대": 0.9}, {"악": 0.45, "학": 0.4}, {"교": 0.9})
    assert best_readings(unsure, HANGUL, 1)[0].text == "대악교"  # the model alone
    assert best_readings(unsure, HANGUL, 1, prior)[0].text == "대학교"
    sure = line({"대": 0.9}, {"악": 0.999}, {"교": 0.9})
    assert best_readings(sure, HANGUL, 1, prior)[0].text == "대악교"


def test_strings_of_random_syllables_the_model_is_sure_of_stay_as_drawn():
    prior = Prior(korean())
    rng = np.random.default_rng(0)
    for _ in range(30):
        text = "".join(HANGUL[k] for k in rng.integers(len(HANGUL), size=rng.integers(2, 5)))
        readings = best_readings(line(*({ch: 0.95} for ch in text)), HANGUL, 3, prior)
        assert readings[0].text == text


def test_the_split_whose_characters_read_best_wins():
    joined = Span(0, 2, Box(0, 0, 70, 30), guesses(HANGUL, 사=0.95))
    apart = [Span(0, 1, Box(0, 0, 30, 30), guesses(HANGUL, 시=0.3, 가=0.3)),
             Span(1, 2, Box(40, 0, 70, 30), guesses(HANGUL, 이=0.3, 아=0.3))]
    last = Span(2, 3, Box(80, 0, 110, 30), guesses(HANGUL, 람=0.9))
    for prior in (None, Prior(korean())):
        best = best_readings([joined, *apart, last], HANGUL, 1, prior)[0]
        assert best.text == "사람" and [c.box for c in best.characters] == [joined.box, last.box]
    unsure = Span(0, 2, Box(0, 0, 70, 30), guesses(HANGUL))  # read as nothing in particular
    sure = [Span(0, 1, apart[0].box, guesses(HANGUL, 가=0.95)), Span(1, 2, apart[1].box, guesses(HANGUL, 나=0.95))]
    assert best_readings([unsure, *sure, last], HANGUL, 1)[0].text == "가나람"


def test_a_vowel_written_apart_is_read_with_its_consonant_where_the_model_would_split_it():
    from drawpad.reading import LineReading, PieceReading
    from drawpad.segment import Piece, split
    # 가다 as written: ㄱ and ㅏ a little apart, then 다; alone, ㄱ reads as 기 and ㅏ as 이
    found = split([Box(0, 20, 45, 70), Box(55, 0, 75, 100), Box(110, 0, 195, 100)], square=True)
    read = {(0, 2): {"가": 0.5}, (0, 1): {"기": 0.6}, (1, 2): {"이": 0.6}, (2, 3): {"다": 0.9},
            (1, 3): {"타": 0.3}, (0, 3): {"갇": 0.3}}
    alternatives = {span: PieceReading(Piece(found.extents[span[0]] | found.extents[span[1] - 1], None), span,
                                       HANGUL, guesses(HANGUL, **read[span])) for span in found.spans}
    line = LineReading([alternatives[span] for span in found.chosen], found, alternatives)
    for prior in (None, Prior(korean())):
        best = line_readings(line, HANGUL, True, 1, prior)[0]
        assert best.text == "가다" and [c.box.x0 for c in best.characters] == [0, 110]
    # the geometry is what tells them apart: without it the model's surer pieces win
    assert line_readings(line, HANGUL, True, 1, None, split_weight=0)[0].text == "기이다"


def test_the_costs_of_spans_weigh_in_and_a_refused_piece_is_passed_over():
    a = Span(0, 1, Box(0, 0, 30, 30), guesses(DIGIT_LABELS, **{"1": 0.6, "7": 0.4}))
    b = Span(1, 2, Box(40, 0, 70, 30), guesses(DIGIT_LABELS, **{"2": 0.9}))
    both = Span(0, 2, Box(0, 0, 70, 30), guesses(DIGIT_LABELS, **{"4": 0.9}))
    assert best_readings([a, b, both], DIGIT_LABELS, 1)[0].text == "4"
    costly = Span(0, 2, both.box, both.probabilities, cost=-3.0)
    assert best_readings([a, b, costly], DIGIT_LABELS, 1)[0].text == "12"
    smudge = Span(2, 3, Box(75, 25, 78, 28), None)
    best = best_readings([a, b, smudge], DIGIT_LABELS, 1)[0]
    assert best.text == "12" and len(best.characters) == 2


def test_without_a_prior_the_readings_are_the_model_s_best_first_each_text_once():
    spans = line({"3": 0.9, "8": 0.1}, {"1": 0.6, "7": 0.4}, {"0": 0.99}, labels=DIGIT_LABELS)
    readings = best_readings(spans, DIGIT_LABELS, 5)
    assert [r.text for r in readings[:3]] == ["310", "370", "810"]
    assert len({r.text for r in readings}) == len(readings) == 5
    assert all(a.score >= b.score for a, b in zip(readings, readings[1:]))
    assert readings[0].score == pytest.approx(np.log(0.9 * 0.6 * 0.99))
    assert [c.probability for c in readings[0].characters] == pytest.approx([0.9, 0.6, 0.99])


def test_bad_requests_are_clear_errors():
    spans = line({"1": 0.9}, labels=DIGIT_LABELS)
    with pytest.raises(ValueError, match="n must be at least 1, not 0"):
        best_readings(spans, DIGIT_LABELS, 0)
    with pytest.raises(ValueError, match="do not lead from the line's start to its end"):
        best_readings(spans + [Span(2, 3, Box(0, 0, 1, 1), spans[0].probabilities)], DIGIT_LABELS)
    with pytest.raises(ValueError, match="language must be 'ko' or None, not 'en'"):
        prior_for("en", True)
    assert prior_for("ko", False) is None and prior_for(None, True) is None
    assert prior_for("ko", True).language is korean()
