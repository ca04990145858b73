"""The n best readings of a line: a beam search over its characters' guesses and over the
ways its ink can be split into characters, with a language prior.

The line's ink is a row of units (drawpad.segment); a span of units that could be one
character comes with the model's probabilities over the labels. A reading is a path of
spans from the first unit to the last, one label each, scored by

    sum over its characters of  log p(label | ink) + cost of the span
                              + weight * (log P_lm(label | the labels before) + log V)
    + weight * (log P_lm(the line ends) + word_bonus if the whole line is a word of the list)

V is the language model's number of symbols: its term is how much likelier the syllable is
than one drawn at random, so a string of random syllables costs about nothing against its
ink, and a reading with more characters is not penalized for having them. The prior has a
floor (drawpad.language): ink the model reads surely as a syllable no word has is read as
that syllable. Without a language model (digits, language=None) a reading's score is the
model's alone.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from drawpad.segment import Box

WEIGHT = 0.3  # of the language prior against the model's log-probabilities
WORD_BONUS = 1.0  # log-odds a whole word of the list gains over the syllable n-grams' say
TOP = 8  # guesses per character the search considers
BEAM = 16  # readings kept at each point of the line


@dataclass(frozen=True)
class Span:
    """Units start..end (end excluded) of the line read as one character: where it is, the
    model's probabilities over the labels, and the split's own say on it (log, 0: none)."""

    start: int
    end: int
    box: Box
    probabilities: np.ndarray = field(repr=False)
    cost: float = 0.0


@dataclass(frozen=True)
class ReadCharacter:
    label: str
    probability: float
    box: Box


@dataclass(frozen=True)
class Reading:
    """One reading of the whole line; a higher score is a better reading."""

    text: str
    score: float
    characters: tuple[ReadCharacter, ...]


@dataclass(frozen=True)
class _Path:
    score: float
    context: tuple  # the language model's context (its last two symbols), () without one
    characters: tuple


def best_readings(spans: list[Span], labels: list[str], n: int = 5, language=None, weight: float = WEIGHT,
                  word_bonus: float = WORD_BONUS, top: int = TOP, beam: int = BEAM) -> list[Reading]:
    """The n best readings of a line, best first, each text once. `spans` must lead from
    unit 0 to the last unit; `language`: a drawpad.language.LanguageModel, or None."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    last = max((s.end for s in spans), default=0)
    starting = defaultdict(list)
    for span in spans:
        starting[span.start].append(span)
    arriving = defaultdict(list)
    arriving[0] = [_Path(0.0, tuple(language.start()[0]) if language else (), ())]
    for position in range(last):
        paths = _prune(arriving.pop(position, []), beam)
        for span in starting[position] if paths else ():
            arriving[span.end] += _extend(paths, span, labels, language, weight, top, beam)
    ended = arriving[last]
    if not ended:
        raise ValueError("the spans do not lead from the line's start to its end")
    if language:
        final = [p.score + weight * (float(language.end(np.array([p.context]))[0])
                                     + (word_bonus if language.word_logp(_text(p)) is not None else 0.0))
                 for p in ended]
        ended = [_Path(s, p.context, p.characters) for s, p in zip(final, ended)]
    readings, seen = [], set()
    for path in sorted(ended, key=lambda p: -p.score):
        text = _text(path)
        if text not in seen:
            seen.add(text)
            readings.append(Reading(text, path.score, path.characters))
            if len(readings) == n:
                break
    return readings


def _text(path: _Path) -> str:
    return "".join(c.label for c in path.characters)


def _prune(paths: list[_Path], beam: int) -> list[_Path]:
    """The `beam` best paths, one for each text and context."""
    kept, seen = [], set()
    for path in sorted(paths, key=lambda p: -p.score):
        key = (_text(path), path.context)
        if key not in seen:
            seen.add(key)
            kept.append(path)
            if len(kept) == beam:
                break
    return kept


def _extend(paths: list[_Path], span: Span, labels: list[str], language, weight: float, top: int,
            beam: int) -> list[_Path]:
    """The best `beam` of the paths each extended by one of the span's `top` guesses."""
    p = span.probabilities
    k = min(top, len(p))
    guesses = np.argpartition(p, -k)[-k:]
    # a probability of exactly 0 (a float32 underflow) would make a reading impossible
    scores = (np.array([path.score for path in paths])[:, None] + span.cost
              + np.log(np.maximum(p[guesses], 1e-30))[None, :])
    if language:
        contexts = np.repeat(np.array([path.context for path in paths]), k, axis=0)
        logp, new = language.extend(contexts, np.tile(language.ids([labels[g] for g in guesses]), len(paths)))
        scores = scores + weight * (logp.reshape(scores.shape) + np.log(language.n))
    flat = scores.ravel()
    best = np.argsort(-flat, kind="stable")[:beam]
    out = []
    for i in best:
        h, g = divmod(int(i), k)
        character = ReadCharacter(labels[guesses[g]], float(p[guesses[g]]), span.box)
        out.append(_Path(float(flat[i]), tuple(new[i]) if language else (), paths[h].characters + (character,)))
    return out
