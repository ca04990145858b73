"""Lines of characters: is the ink split into the right characters, and read as well as alone?

    python benchmarks/lines.py [--digits models/mnist.h5] [--hangul models/hangul.h5] [-n 300]
        [--hand ../shared/data/hangul-hand] [--left-out DIR]

1. Numbers of 3-7 digits made of real pen strokes of pendigits writers 16-30 (the
   writers a `--stroke-writers 15` model never saw), one size per number (each
   digit +-12%), gaps of 0.15-0.6 of the height, the baseline wobbling a little,
   on a pad-like canvas; split from the image (connected ink, `recognize_line`)
   and from the strokes (the pad's way, drawpad.segment.segment_strokes).
2. Hangul words of 2-4 random syllables in the held-out fonts (fonts-lexi-gulim,
   fonts-lexi-saebom, fonts-woowa-bm but BMEuljirooraeorae), gaps of 6-35% of
   the font size, split from the image.
For each: the share of lines split into the right number of characters, the
per-character accuracy against the same characters recognized alone (on their own
canvas), whole-string accuracy, and the time a character takes (line) against
recognizing it alone.
3. Real writers' lines (--hand, data_tools.hand_words): n/3 everyday words
   (data_tools/everyday_words.txt) and n/3 strings of 2-4 random syllables of each writer
   of ../shared/data/hangul-hand, made of their own syllable cells side by side, each
   writer read by a model that never saw them (without-<writer>.h5 of --left-out; else
   --hangul, whose card must not list them: the shipped model learned from fonts only). Each line is read as recognize_line reads it
   (each character's top guess), and by read_line without and with the language model:
   whole lines right, the right number of characters, characters right; and what
   read_line costs on top of recognize_line, a character (p50 over the lines, each line
   timed both ways, the best of 3 runs of each).
Writes benchmarks/results/lines.json.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from paths import DATA, ROOT, run  # also puts the project on sys.path

HELD_OUT_FONT_DIRS = ("/usr/share/fonts/truetype/lexi", "/usr/share/fonts/truetype/woowa-bm")
GRUNGE = "BMEuljirooraeorae"  # a texture, not a way of writing


def digit_line(samples: list[dict], rng: np.random.Generator):
    """(canvas, strokes, pen) of one number written left to right."""
    from drawpad.canvas import PAPER, draw_strokes

    height = rng.uniform(60, 150)
    pen = int(rng.integers(6, 20))
    x, placed = 20.0 + pen, []
    for s in samples:
        strokes = [np.asarray(t, np.float64).reshape(-1, 2) * (1, -1) for t in s["strokes"]]  # y up -> down
        pts = np.concatenate(strokes)
        lo, size = pts.min(0), np.ptp(pts, 0)
        h = height * rng.uniform(0.88, 1.12)
        scale = h / max(size[1], 1e-6)
        top = 40 + pen + rng.normal(0, 0.04 * height)  # the baseline wobbles a little
        placed += [((t - lo) * scale + (x, top)).tolist() for t in strokes]
        x += size[0] * scale + pen + rng.uniform(0.15, 0.6) * height
    width = int(x + 20)
    canvas = np.full((int(40 + 1.5 * height + 2 * pen + 40), width), PAPER, np.uint8)
    return draw_strokes(canvas, placed, pen), placed, pen


def word_image(font: str, word: str, rng: np.random.Generator) -> np.ndarray:
    """A word in a font, each syllable where the font puts it vertically, the gaps
    between the syllables' ink 6-35% of the font size."""
    from data_tools.synth import _render_gray

    size = int(rng.integers(40, 110))
    glyphs = []
    for ch in word:
        gray = _render_gray(font, ch, size)
        cols = np.flatnonzero(gray.max(axis=0) > 0.5)
        glyphs.append(gray[:, cols[0]:cols[-1] + 1])
    gaps = [int(round(rng.uniform(0.06, 0.35) * size)) for _ in glyphs[1:]]
    page = np.zeros((glyphs[0].shape[0], sum(g.shape[1] for g in glyphs) + sum(gaps) + 40), np.float32)
    x = 20
    for g, gap in zip(glyphs, gaps + [0]):
        page[:, x:x + g.shape[1]] = np.maximum(page[:, x:x + g.shape[1]], g)
        x += g.shape[1] + gap
    return (255 - page * 255).astype(np.uint8)


def score(truths: list[str], lines: list[list[str]], alone: list[list[str]], seconds: float,
          alone_seconds: float) -> dict:
    from hand_lines import accuracy

    n_chars = sum(len(t) for t in truths)
    read = accuracy(truths, lines)
    alone_right = sum(a == b for guesses, t in zip(alone, truths) for a, b in zip(guesses, t))
    return {"lines": len(truths), "characters": n_chars, "right_count": read["right_count"],
            "per_character_line": read["per_character"],
            "per_character_alone": round(alone_right / n_chars, 4),
            "whole_string": read["whole_string"],
            "ms_per_character_line": round(seconds / n_chars * 1e3, 3),
            "ms_per_character_alone": round(alone_seconds / n_chars * 1e3, 3),
            "ms_per_character_added": round((seconds - alone_seconds) / n_chars * 1e3, 3)}


def timed(fn, items) -> tuple[list, float]:
    t = time.perf_counter()
    out = [fn(x) for x in items]
    return out, time.perf_counter() - t


def report(name: str, row: dict) -> None:
    print(f"{name}: {row['lines']} lines, {row['characters']} characters: right count {row['right_count']:.2%}, "
          f"per character {row['per_character_line']:.2%} (alone {row['per_character_alone']:.2%}), "
          f"whole string {row['whole_string']:.2%}; {row['ms_per_character_line']:.2f} ms a character "
          f"in a line, {row['ms_per_character_alone']:.2f} ms alone")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--digits", default=str(ROOT / "models/mnist.h5"))
    ap.add_argument("--hangul", default=str(ROOT / "models/hangul.h5"))
    ap.add_argument("-n", type=int, default=300, help="lines of each kind")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hand", default=str(DATA / "hangul-hand"), help="real writers (default %(default)s)")
    ap.add_argument("--left-out", metavar="DIR",
                    help="folder of without-<writer>.h5 models, one per writer (train.hangul_recipe's <work>/real)")
    args = ap.parse_args()

    import record
    from data_tools.strokes import load_strokes, replay, writer
    from data_tools.synth import glyph_canvas, has_glyph
    from drawpad import Recognizer
    from drawpad.reading import read
    from drawpad.segment import segment_strokes

    rng = np.random.default_rng(args.seed)
    figures = {}
    rec = Recognizer.from_file(args.digits)
    figures["digits_model"] = Path(args.digits).name
    figures["digits_writers_seen"] = rec.card.get("pendigits_writers_seen")
    new_writers = [s for s in load_strokes(DATA / "strokes/pendigits-train.ndjson.gz") if writer(s) > 15]
    numbers = [[new_writers[i] for i in rng.choice(len(new_writers), rng.integers(3, 8))] for _ in range(args.n)]
    truths = ["".join(s["label"] for s in number) for number in numbers]
    drawn = [digit_line(number, rng) for number in numbers]
    top1 = lambda preds: [p[0].label for p in preds]  # noqa: E731
    alone_images = [replay(s, rng) for number in numbers for s in number]
    alone_flat, alone_s = timed(lambda im: rec.recognize(im, top=1)[0].label, alone_images)
    it = iter(alone_flat)
    alone = [[next(it) for _ in t] for t in truths]
    lines, line_s = timed(lambda d: top1(rec.recognize_line(d[0], top=1)), drawn)
    figures["digits_image"] = score(truths, lines, alone, line_s, alone_s)
    lines, line_s = timed(lambda d: [c.guesses(1)[0].label for c in read(
        rec, segment_strokes(d[1], d[2], rec.square_script)).characters()], drawn)
    figures["digits_strokes"] = score(truths, lines, alone, line_s, alone_s)
    report("digits, split from the image", figures["digits_image"])
    report("digits, split from the strokes (the pad)", figures["digits_strokes"])

    rec = Recognizer.from_file(args.hangul)
    fonts = [str(p) for d in HELD_OUT_FONT_DIRS for p in sorted(Path(d).glob("*.ttf")) if GRUNGE not in p.name]
    if not fonts:
        raise SystemExit("error: no held-out Hangul fonts: apt-get install fonts-lexi-gulim fonts-lexi-saebom "
                         "fonts-woowa-bm")
    words, truths = [], []
    while len(words) < args.n:
        font = fonts[len(words) % len(fonts)]
        word = "".join(rng.choice(rec.labels, rng.integers(2, 5)))
        if all(has_glyph(font, ch) for ch in word):
            words.append((font, word_image(font, word, rng)))
            truths.append(word)
    alone_images = [glyph_canvas(f, ch, rng) for (f, _), w in zip(words, truths) for ch in w]
    alone_flat, alone_s = timed(lambda im: rec.recognize(im, top=1)[0].label, alone_images)
    it = iter(alone_flat)
    alone = [[next(it) for _ in t] for t in truths]
    lines, line_s = timed(lambda fw: top1(rec.recognize_line(fw[1], top=1)), words)
    figures["hangul_image"] = score(truths, lines, alone, line_s, alone_s)
    figures["hangul_fonts"] = [Path(f).name for f in fonts]
    report("Hangul words in held-out fonts, split from the image", figures["hangul_image"])
    if Path(args.hand).is_dir():
        figures.update(real_writers(args))
    else:
        print(f"note: {args.hand} is not here: real writers' lines not read (--hand DIR)")
    record.write("lines", figures)


def real_writers(args) -> dict:
    """Everyday words and random strings in the real writers' hands, read three ways."""
    from hand_lines import accuracy, hand_lines, writer_models

    from data_tools.hand_words import Writers

    writers = Writers(args.hand)
    models = writer_models(sorted(writers.files), args.hangul, args.left_out)
    figures = {"hand_models": {w: Path(rec.source).name for w, rec in models.items()},
               "hand_left_out": args.left_out is not None}
    if not args.left_out:
        print(f"note: the writers are read by {Path(args.hangul).name}, whose card lists none of them "
              "(--left-out DIR: models that each never saw one writer)")
    for kind in ("words", "random"):
        lines = hand_lines(writers, kind, max(1, args.n // 3), args.seed)
        truths = [text for _, text, _ in lines]
        row = {}
        ways = {"recognize_line": lambda rec, im: "".join(p[0].label for p in rec.recognize_line(im, top=1)),
                "without_language": lambda rec, im: rec.read_line(im, n=1, language=None)[0].text,
                "with_language": lambda rec, im: rec.read_line(im, n=1)[0].text}
        for way, read in ways.items():
            row[way] = accuracy(truths, [read(models[writer], image) for writer, _, image in lines])
            print(f"real writers' {kind}, {way.replace('_', ' ')}: {len(lines)} lines: "
                  f"whole {row[way]['whole_string']:.2%} right, right count {row[way]['right_count']:.2%}, "
                  f"per character {row[way]['per_character']:.2%}")
        added = []
        for (writer, text, image) in lines:  # the two ways side by side, the best of 3 each: a busy moment drops out
            best = {way: min(timed(lambda im: ways[way](models[writer], im), [image])[1] for _ in range(3))
                    for way in ("recognize_line", "with_language")}
            added.append((best["with_language"] - best["recognize_line"]) / len(text))
        row["read_line_ms_per_character_added_p50"] = round(float(np.median(added)) * 1e3, 3)
        figures[f"hand_{kind}"] = row
    return figures


if __name__ == "__main__":
    run(main)
