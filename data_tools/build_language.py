"""wordfreq's Korean word list -> the Korean syllable language model drawpad ships.

    pip install wordfreq            # a build-time dependency only (pip install .[build-lm])
    python -m data_tools.build_language --out drawpad/korean_lm.npz

Source: wordfreq (Robyn Speer et al.; code Apache-2.0, word lists CC-BY-SA-4.0), its
"small" Korean list: about 30,000 words and morphemes (MeCab's tokens of subtitles,
Wikipedia, news, web text) with their frequencies. Words of KS X 1001 syllables only
are kept (26,787 of them).

What is written (drawpad.language reads it), over the 2,350 KS X 1001 syllables and a
word boundary:
- syllable trigrams, bigrams and unigrams counted inside the words (a boundary before
  and after each word), each word counted (frequency / the least frequency) ** alpha
  times; Witten-Bell interpolation of the three orders, the unigrams add-one smoothed;
- `floor`: the share of a uniform distribution drawpad.language mixes over all that, so
  that every syllable after every context keeps a probability of at least floor / 2,351
  (a name, a random string: ink that is not a word);
- the words of up to 5 syllables with their probability (frequency over the list's
  total), for the word prior: a line that is a whole word of the list.
"""
from __future__ import annotations

import argparse
import io
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from drawpad.atomic import write_atomically
from drawpad.labels import ksx1001_syllables
from drawpad.language import BOUNDARY, MAX_WORD, key

LICENSE = ("wordfreq (https://github.com/rspeer/wordfreq): code Apache-2.0, word lists CC-BY-SA-4.0; "
           "this file is derived from its Korean list and is CC-BY-SA-4.0")


def korean_words() -> dict[str, float]:
    """wordfreq's Korean list, {word: frequency}. Read as a whole (get_frequency_dict):
    wordfreq's word_frequency for Korean needs MeCab, the list itself does not."""
    try:
        import wordfreq
    except ImportError:
        raise ValueError("wordfreq is not installed: pip install wordfreq") from None  # main says it, exit 2
    return dict(wordfreq.get_frequency_dict("ko", wordlist="small"))


def symbols_of(word: str, index: dict[str, int]) -> list[int] | None:
    ids = [index.get(ch) for ch in word]
    return None if None in ids else ids


def witten_bell(counts: dict[tuple, float], lower) -> tuple[dict[tuple, float], dict[tuple, float]]:
    """Interpolated Witten-Bell: P(w | h) = l_h ML(w | h) + (1 - l_h) P_lower(w | h[1:]),
    l_h = c(h) / (c(h) + distinct followers of h). -> ({(h..., w): P for seen n-grams},
    {h: 1 - l_h}), what a reader needs: an unseen w after h is (1 - l_h) P_lower."""
    total, types = defaultdict(float), defaultdict(int)
    for gram, c in counts.items():
        total[gram[:-1]] += c
        types[gram[:-1]] += 1
    rest = {h: types[h] / (total[h] + types[h]) for h in total}
    probs = {gram: (1 - rest[gram[:-1]]) * c / total[gram[:-1]] + rest[gram[:-1]] * lower(gram[1:])
             for gram, c in counts.items()}
    return probs, rest


def build(words: dict[str, float], alpha: float = 1.0, floor: float = 0.05) -> dict[str, np.ndarray]:
    """The model's arrays (see the module's docstring and drawpad.language) from {word: frequency}."""
    if not 0 < floor < 1:
        raise ValueError(f"floor must be between 0 and 1, not {floor}")
    syllables = ksx1001_syllables()
    index = {ch: k + 1 for k, ch in enumerate(syllables)}
    n_symbols = len(syllables) + 1
    kept = {w: f for w, f in words.items() if w and f > 0 and symbols_of(w, index)}
    if not kept:
        raise ValueError("no word of KS X 1001 syllables in the list")
    least = min(kept.values())
    uni, bi, tri = np.zeros(n_symbols), defaultdict(float), defaultdict(float)
    for word, f in kept.items():
        weight = (f / least) ** alpha
        s = [BOUNDARY, BOUNDARY] + symbols_of(word, index) + [BOUNDARY]
        for i in range(2, len(s)):
            uni[s[i]] += weight
            bi[(s[i - 1], s[i])] += weight
            tri[(s[i - 2], s[i - 1], s[i])] += weight
    p1 = (uni + 1) / (uni.sum() + n_symbols)  # a syllable no word has counts as one seen once
    p2, rest2 = witten_bell(bi, lambda g: p1[g[0]])
    backoff1 = np.zeros(n_symbols)
    for (h,), r in rest2.items():
        backoff1[h] = np.log(r)

    def bigram(g):
        return p2.get(g, np.exp(backoff1[g[0]]) * p1[g[1]])
    p3, rest3 = witten_bell(tri, bigram)
    bi_keys, bi_logp = table(p2, n_symbols)
    ctx_keys, ctx_backoff = table(rest3, n_symbols)
    grams = sorted(p3, key=lambda g: (key(g[:2], n_symbols), g[2]))  # by context, as ctx_keys
    ctx_size = np.bincount(np.searchsorted(ctx_keys, [key(g[:2], n_symbols) for g in grams]),
                           minlength=len(ctx_keys))
    word_keys, word_logp = table({tuple(symbols_of(w, index)): f / sum(kept.values()) for w, f in kept.items()
                                  if len(w) <= MAX_WORD}, n_symbols)
    meta = {"source": f"wordfreq {wordfreq_version()}, Korean 'small' list", "license": LICENSE,
            "words": len(kept), "alpha": alpha, "floor": floor, "symbols": n_symbols,
            "command": "python -m data_tools.build_language " + " ".join(sys.argv[1:])}
    return {"meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode(), np.uint8),
            "unigram": np.log(p1).astype(np.float32), "bigram_backoff": backoff1.astype(np.float32),
            "bigram_keys": bi_keys.astype(np.uint32), "bigram_logp": bi_logp,
            "context_keys": ctx_keys.astype(np.uint32), "context_backoff": ctx_backoff,
            "context_size": ctx_size.astype(np.uint16),
            "trigram_next": np.array([g[2] for g in grams], np.uint16),
            "trigram_logp": np.log([p3[g] for g in grams]).astype(np.float16),
            "word_keys": word_keys, "word_logp": word_logp}


def table(probs: dict[tuple, float], n_symbols: int) -> tuple[np.ndarray, np.ndarray]:
    """(sorted keys, log of their values): what drawpad.language looks up."""
    keys = np.array([key(g, n_symbols) for g in probs], np.uint64)
    order = np.argsort(keys)
    return keys[order], np.log(np.array(list(probs.values())))[order].astype(np.float16)


def wordfreq_version() -> str:
    try:
        from importlib.metadata import version
        return version("wordfreq")
    except Exception:  # noqa: BLE001 (only a label in the file's metadata)
        return "(unknown version)"


def write(arrays: dict[str, np.ndarray], out: Path) -> None:
    """Written under a temporary name and renamed: an interrupted build leaves no half file.
    Not compressed: it reads in half the time (4 ms), at 0.8 MB instead of 0.4."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(out, buffer.getvalue())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m data_tools.build_language", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="drawpad/korean_lm.npz", help="output file (default %(default)s)")
    ap.add_argument("--alpha", type=float, default=1.0,
                    help="a word counts (frequency / least frequency) ** alpha times: 1 counts running "
                         "text, 0 each word once (default %(default)s)")
    ap.add_argument("--floor", type=float, default=0.05,
                    help="share of a uniform distribution over every syllable's probability "
                         "(default %(default)s)")
    args = ap.parse_args(argv)
    try:
        arrays = build(korean_words(), args.alpha, args.floor)
        write(arrays, Path(args.out))
    except (ValueError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130
    meta = json.loads(arrays["meta"].tobytes())
    print(f"wrote {args.out}: {meta['words']:,} words, {len(arrays['trigram_next']):,} trigrams, "
          f"{len(arrays['bigram_keys']):,} bigrams, {Path(args.out).stat().st_size / 1e3:.0f} kB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
