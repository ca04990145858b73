"""A Korean syllable language model: how likely a line of Hangul syllables is as Korean.

The shipped model (korean_lm.npz beside this file, built by data_tools.build_language
from wordfreq's Korean word list) has syllable trigrams over the 2,350 KS X 1001
syllables with word boundaries, smoothed so that every syllable stays possible after
every context, and a list of words with their probabilities. It is read the first time
a line is read with it (korean(): a few ms), never at start-up.

A line is scored syllable by syllable (extend: vectorized over many hypotheses, as a
beam search needs), its end (end), and as a whole word (word_logp). A line may hold
several words without spaces (학교에서: 학교 + 에서): extend takes, for each syllable,
the better of continuing the word and ending it there and starting a new one.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from drawpad.errors import DrawpadError
from drawpad.labels import ksx1001_syllables

SHIPPED = Path(__file__).resolve().parent / "korean_lm.npz"
BOUNDARY = 0  # symbol 0; the KS X 1001 syllable k (code order) is symbol k + 1
UNKNOWN = -1  # a label the model does not know (a digit, a syllable outside KS X 1001)
MAX_WORD = 5  # the word list's longest words, in syllables: a longer word's key would not fit 64 bits


class LanguageModel:
    """Syllable trigrams with interpolated backoff, and a word list (see the module)."""

    def __init__(self, arrays, source: str = "<language model>"):
        try:
            self.meta = json.loads(bytes(arrays["meta"]).decode())
            self.floor = float(self.meta["floor"])
            self.unigram = np.asarray(arrays["unigram"], np.float64)
            self.bigram_backoff = np.asarray(arrays["bigram_backoff"], np.float64)
            # keys are looked up as uint64 (a word's key needs 64 bits); stored smaller
            self.bigram_keys, self.bigram_logp = arrays["bigram_keys"].astype(np.uint64), arrays["bigram_logp"]
            self.context_keys = arrays["context_keys"].astype(np.uint64)
            self.context_backoff = arrays["context_backoff"]
            self.trigram_logp = arrays["trigram_logp"]
            self.word_keys, self.word_logps = arrays["word_keys"], arrays["word_logp"]
            n_contexts = len(self.context_keys)
            # a trigram's key: its context's place in context_keys, then its last symbol
            self.trigram_keys = (np.repeat(np.arange(n_contexts, dtype=np.uint64), arrays["context_size"])
                                 * np.uint64(len(self.unigram)) + arrays["trigram_next"])
        except KeyError as e:
            raise DrawpadError(f"{source}: not a drawpad language model (it has no {e.args[0]})") from None
        except (ValueError, TypeError) as e:
            raise DrawpadError(f"{source}: not a drawpad language model ({e})") from None
        self.symbols = ksx1001_syllables()
        self.n = len(self.symbols) + 1
        if len(self.unigram) != self.n or len(self.trigram_keys) != len(self.trigram_logp):
            raise DrawpadError(f"{source}: not a drawpad language model (its tables do not fit together)")
        self._index = {ch: k + 1 for k, ch in enumerate(self.symbols)}
        self._start = self._trigram(*np.zeros((2, self.n), np.int64), np.arange(self.n))  # log P(c | a word starts)

    @classmethod
    def load(cls, path: str | Path) -> "LanguageModel":
        try:
            with np.load(path) as f:
                return cls({k: f[k] for k in f.files}, str(path))
        except (OSError, ValueError) as e:
            raise DrawpadError(f"{path}: cannot read the language model ({e})") from None

    def ids(self, labels) -> np.ndarray:
        """Each label's symbol, UNKNOWN for those the model does not know."""
        return np.array([self._index.get(label, UNKNOWN) for label in labels], np.int64)

    def start(self, count: int = 1) -> np.ndarray:
        """The contexts of `count` empty lines: (count, 2) symbols, the last two read."""
        return np.full((count, 2), BOUNDARY, np.int64)

    def _trigram(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
        """log P(c | a b), all arrays of symbols, with the uniform floor mixed in."""
        n = np.uint64(self.n)
        known_context, at = lookup(self.context_keys, a.astype(np.uint64) * n + b.astype(np.uint64))
        found, t = lookup(self.trigram_keys, at.astype(np.uint64) * n + c.astype(np.uint64))
        found &= known_context
        bc_found, bc = lookup(self.bigram_keys, b.astype(np.uint64) * n + c.astype(np.uint64))
        lower = np.where(bc_found, self.bigram_logp[bc], self.bigram_backoff[b] + self.unigram[c])
        logp = np.where(found, self.trigram_logp[t], np.where(known_context, self.context_backoff[at], 0.0) + lower)
        return np.logaddexp(np.log1p(-self.floor) + logp, np.log(self.floor / self.n))

    def extend(self, contexts: np.ndarray, symbols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each of H lines (their contexts, H x 2) extended by each of K symbols -> (H x K log P
        of that syllable, H x K x 2 new contexts). A word may end before the syllable (the
        better of the two is taken); a symbol the model does not know (UNKNOWN) costs what
        the least likely syllable can and ends the word."""
        h, k = len(contexts), len(symbols)
        c = np.maximum(symbols, 0)
        within = self._trigram(np.repeat(contexts[:, 0], k), np.repeat(contexts[:, 1], k), np.tile(c, h)).reshape(h, k)
        after_word = np.where((contexts[:, 1] == BOUNDARY)[:, None], -np.inf,
                              self.end(contexts)[:, None] + self._start[c][None, :])
        unknown = symbols < 0
        logp = np.where(unknown[None, :], np.log(self.floor / self.n), np.maximum(within, after_word))
        new = np.empty((h, k, 2), np.int64)
        new[..., 0] = np.where(after_word > within, BOUNDARY, contexts[:, 1][:, None])
        new[..., 1] = c[None, :]
        new[:, unknown] = BOUNDARY
        return logp, new

    def end(self, contexts: np.ndarray) -> np.ndarray:
        """log P that the line ends after each context."""
        return self._trigram(contexts[:, 0], contexts[:, 1], np.zeros(len(contexts), np.int64))

    def word_logp(self, texts: list[str]) -> np.ndarray:
        """log P of each text as a word drawn from the word list; NaN where it is not one."""
        keys, known = np.zeros(len(texts), np.uint64), np.zeros(len(texts), bool)
        for i, text in enumerate(texts):
            symbols = [self._index.get(ch, UNKNOWN) for ch in text]
            if 0 < len(symbols) <= MAX_WORD and UNKNOWN not in symbols:
                keys[i], known[i] = key(symbols, self.n), True
        found, at = lookup(self.word_keys, keys)
        return np.where(found & known, self.word_logps[at], np.nan)

    def score(self, text: str) -> float:
        """log P of a whole line of syllables under the n-grams (no word prior)."""
        contexts, total = self.start(), 0.0
        for symbol in self.ids(text):
            logp, new = self.extend(contexts, np.array([symbol]))
            total, contexts = total + float(logp[0, 0]), new[:, 0]
        return total + float(self.end(contexts)[0])


def key(gram, n_symbols: int) -> int:
    """An n-gram (or a word) as one number: its symbols are its digits in base n_symbols."""
    k = 0
    for symbol in gram:
        k = k * n_symbols + symbol
    return k


def lookup(keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(found, where) of each wanted key in sorted `keys` (where: 0 if not found)."""
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    found = keys[at] == wanted
    return found, np.where(found, at, 0)


@lru_cache(maxsize=1)
def korean() -> LanguageModel:
    """The shipped Korean model, read once."""
    if not SHIPPED.is_file():
        raise DrawpadError(f"{SHIPPED}: the Korean language model is missing "
                           "(python -m data_tools.build_language --out drawpad/korean_lm.npz)")
    return LanguageModel.load(SHIPPED)
