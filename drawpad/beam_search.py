"""The n best readings of a line: a beam search over its characters' guesses and over the
ways its ink can be split into characters, with a language prior.

The line's ink is a row of units (drawpad.segment); a span of units that could be one
character comes with the model's probabilities over the labels. A reading is a path of
spans from the first unit to the last, one label each (of the span's TOP guesses), scored

    sum over its characters of  log p(label | ink) + CHARACTER_BONUS - the span's doubt
                                (its geometry: drawpad.segment.span_doubt)
    + WEIGHT * log( (WORDS * P_word(line) + NGRAMS * P_ngrams(line) + RANDOM * V^-length)
                    / V^-length )

The prior (drawpad.language) is a mixture: the line is a word of the list, or a string
the syllable n-grams make, or syllables drawn at random (V of them, each alike), and it is
taken against the random draw: p(label | ink) already holds a uniform prior over the
labels, so a string of random syllables costs nothing against its ink, and a reading with
more characters is not penalized for having them. The random share keeps ink that is no
word as the model reads it where the model is sure (the prior of a line can rise above the
random draw's, never fall below RANDOM times it). Without a prior (digits, language=None)
a reading's score is the model's alone.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from drawpad.language import korean
from drawpad.predictions import top_indices
from drawpad.segment import Box, character_size, span_doubt

# Tuned on the real writers' words (benchmarks/language_weight.py; with the two networks'
# mean it would split more, which read fewer words right: docs/language.md):
WEIGHT = 1.0  # of the language prior against the model's log-probabilities (1: Bayes' rule)
# The prior is a mixture: a line is a word of the list, or a string of the syllable n-grams,
# or a string of syllables drawn at random (its share keeps ink that is no word as drawn).
WORDS, NGRAMS, RANDOM = 0.2, 0.02, 0.78
SPLIT_WEIGHT = 1.0  # of drawpad.segment's doubt of a character's span (span_doubt)
CHARACTER_BONUS = 2.0  # log-odds each character of a split gains (the model alone favours fewer)
TOP = 20  # guesses per character the search considers
BEAM = 16  # readings kept at each point of the line


@dataclass(frozen=True)
class Span:
    """Units start..end (end excluded) of the line read as one character: where it is, the
    model's probabilities over the labels (None where the preprocessing refused its ink: a
    smudge, no character, a reading passes over it), and what the split's geometry says
    of it (a log-prior, 0: nothing)."""

    start: int
    end: int
    box: Box
    probabilities: np.ndarray | None = field(repr=False)
    cost: float = 0.0


@dataclass(frozen=True)
class ReadCharacter:
    """A character of a reading: its label, the model's probability of it, where it is."""

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
class Prior:
    """How the language model weighs in (see the module)."""

    language: object  # a drawpad.language.LanguageModel
    weight: float = WEIGHT
    words: float = WORDS
    ngrams: float = NGRAMS
    random: float = RANDOM

    def prefix(self, ngram_ratio: np.ndarray) -> np.ndarray:
        """The prior of lines so far, their n-gram log-ratios given (no word can be told yet)."""
        return self.weight * np.logaddexp(np.log(self.ngrams) + ngram_ratio, np.log(self.random))

    def lines(self, texts: list[str], ngram_ratios: np.ndarray) -> np.ndarray:
        """The prior of whole lines, their n-gram log-ratios given (each line's end included)."""
        words = np.nan_to_num(self.language.word_logp(texts), nan=-np.inf)  # -inf: not a word
        words = words + np.array([len(t) for t in texts]) * np.log(self.language.n)
        mix = np.logaddexp(np.log(self.ngrams) + ngram_ratios, np.log(self.random))
        return self.weight * np.logaddexp(mix, np.log(self.words) + words)


@dataclass(frozen=True)
class _Path:
    model: float  # the model's log-probabilities and the spans' costs
    ngram: float  # the n-gram's log-ratio to random syllables (0 without a prior)
    score: float  # what the beam keeps the best of
    context: tuple  # the language model's context (its last two symbols), () without one
    text: str
    characters: tuple


def prior_for(language: str | None, hangul: bool) -> Prior | None:
    """The prior a line is read with: language "ko" is the shipped Korean model, for a model
    that reads Hangul (others, digits, get none); None: none."""
    if language not in ("ko", None):
        raise ValueError(f"language must be 'ko' or None, not {language!r}")
    if language is None or not hangul:
        return None
    return Prior(korean())


def line_readings(line, labels: list[str], square: bool, n: int = 5, prior: Prior | None = None,
                  split_weight: float = SPLIT_WEIGHT, character_bonus: float = CHARACTER_BONUS) -> list[Reading]:
    """The n best readings of a line (drawpad.reading.read_line or read_strokes). In a square
    script (Hangul), where the line was read with its alternatives, every way to split it
    is weighed, each character's span at the doubt drawpad.segment casts on it (span_doubt),
    with a bonus for each character (the model's log-probabilities favour fewer); else (digits:
    every gap splits) its split as chosen. ImageError if no piece of it is a character."""
    line.characters()  # raises the ImageError of a line without one
    if square and line.alternatives:
        size = character_size(line.split.extents)
        spans = [Span(*span, piece.piece.box, piece.probabilities,
                      character_bonus - split_weight * span_doubt(line.split.extents, size, span))
                 for span, piece in line.alternatives.items()]
    else:
        spans = [Span(*piece.span, piece.piece.box, piece.probabilities) for piece in line.pieces]
    return best_readings(spans, labels, n, prior)


def best_readings(spans: list[Span], labels: list[str], n: int = 5, prior: Prior | None = None,
                  top: int = TOP, beam: int = BEAM) -> list[Reading]:
    """The n best readings of a line, best first, each text once. `spans` must lead from
    unit 0 to the last unit; `prior`: the language prior, or None."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    if not spans:
        raise ValueError("no spans: a line has at least one")
    last = max(s.end for s in spans)
    starting = defaultdict(list)
    for span in spans:
        starting[span.start].append(span)
    arriving = defaultdict(list)
    arriving[0] = [_Path(0.0, 0.0, 0.0, tuple(prior.language.start()[0]) if prior else (), "", ())]
    for position in range(last):
        paths = _prune(arriving.pop(position, []), beam)
        for span in starting[position] if paths else ():
            arriving[span.end] += _extend(paths, span, labels, prior, top, beam)
    ended = arriving[last]
    if not ended:
        raise ValueError("the spans do not lead from the line's start to its end")
    scores = np.array([p.model for p in ended])
    if prior:
        ngrams = np.array([p.ngram for p in ended]) + prior.language.end(np.array([p.context for p in ended]))
        scores = scores + prior.lines([p.text for p in ended], ngrams)
    readings, seen = [], set()
    for k in np.argsort(-scores, kind="stable"):
        path = ended[k]
        if path.text and path.text not in seen:  # passing over every piece is no reading
            seen.add(path.text)
            readings.append(Reading(path.text, float(scores[k]), path.characters))
            if len(readings) == n:
                break
    return readings


def _prune(paths: list[_Path], beam: int) -> list[_Path]:
    """The `beam` best paths, one for each text and context."""
    kept, seen = [], set()
    for path in sorted(paths, key=lambda p: -p.score):
        key = (path.text, path.context)
        if key not in seen:
            seen.add(key)
            kept.append(path)
            if len(kept) == beam:
                break
    return kept


def _extend(paths: list[_Path], span: Span, labels: list[str], prior: Prior | None, top: int,
            beam: int) -> list[_Path]:
    """The best `beam` of the paths each extended by one of the span's `top` guesses."""
    p = span.probabilities
    if p is None:  # passed over at the cost of a character the model knows nothing of
        skip = np.log(len(labels))
        return [_Path(q.model - skip, q.ngram, q.score - skip, q.context, q.text, q.characters) for q in paths]
    guesses = top_indices(p[None], top)[0]
    # a probability of exactly 0 (a float32 underflow) would make a reading impossible
    model = (np.array([q.model for q in paths])[:, None] + span.cost + np.log(np.maximum(p[guesses], 1e-30))[None, :])
    ngram = np.array([q.ngram for q in paths])[:, None]
    if prior:
        logp, contexts = prior.language.extend(np.array([q.context for q in paths]),
                                               prior.language.ids([labels[g] for g in guesses]))
        ngram = ngram + logp + np.log(prior.language.n)
        scores = model + prior.prefix(ngram)
    else:
        scores = model
    best = np.argsort(-scores, axis=None, kind="stable")[:beam]
    rows, cols = np.divmod(best, len(guesses))
    ngram = np.broadcast_to(ngram, scores.shape)
    out = []
    for h, g, m, r, sc, context in zip(rows.tolist(), cols.tolist(), model.ravel()[best].tolist(),
                                        ngram.ravel()[best].tolist(), scores.ravel()[best].tolist(),
                                        contexts.reshape(-1, 2)[best].tolist() if prior else [()] * len(best)):
        label = labels[guesses[g]]
        out.append(_Path(m, r, sc, tuple(context), paths[h].text + label,
                         paths[h].characters + (ReadCharacter(label, float(p[guesses[g]]), span.box),)))
    return out
