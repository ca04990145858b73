"""Simulated new users teaching the pad their hand: train.personalize, before and after.

    python benchmarks/personal.py --model W15.h5 [--writers 16 17 ...] [--personalize "--train all"]
    python benchmarks/personal.py --hangul models/hangul.h5 --data synth_60 [--font F.ttf]

W15.h5 is a digit model trained with `python -m train.digits --stroke-writers 15`, so
pendigits writers 16-30 are new to it. Each of them in turn plays a user: 2 samples
of each digit, replayed onto a 400x400 canvas as the pad would keep them (drawing and
strokes), are the corrections; train.personalize makes that user's model. Then, before
and after: that writer's other digits, the other new writers' digits (what the user's
model forgot of other hands) and MNIST test, all through Recognizer. Per writer and the
mean; writes benchmarks/results/personal.json.

With --hangul, a held-out font plays the user: 3 renderings (random size and place on
a 400x400 canvas) of each of 100 syllables are the corrections; then other renderings
of those 100 and of 500 other syllables, before and after (--data: the converted
synthesized set train.personalize replays). Writes benchmarks/results/personal-hangul.json.
"""
from __future__ import annotations

import argparse
import shlex
import tempfile
import time
from pathlib import Path

import numpy as np

from paths import DATA, run  # also puts the project on sys.path


def error(rec, images, labels) -> float:
    guesses = [r[0].label if isinstance(r, list) else "refused"
               for r in rec.recognize_batch(images, top=1, errors="return")]
    return float(np.mean([g != t for g, t in zip(guesses, labels)]))


def hangul(args) -> None:
    """A held-out font as the user of the Hangul model (see the module's docstring)."""
    import record
    from data_tools.synth import glyph_canvas, has_glyph
    from drawpad import Recognizer
    from drawpad.samples import SampleStore
    from train.personalize import main as personalize

    base = Recognizer.from_file(args.hangul)
    rng = np.random.default_rng(args.seed)
    syllables = [ch for ch in rng.permutation(base.labels) if has_glyph(args.font, ch)]
    taught, untaught = syllables[:100], syllables[100:600]
    with tempfile.TemporaryDirectory() as tmp:
        store = SampleStore(tmp, "hangul")
        for ch in taught:
            for _ in range(3):
                store.save(ch, glyph_canvas(args.font, ch, rng))
        out = Path(tmp) / "mine.h5"
        t = time.perf_counter()
        if personalize(["--model", args.hangul, "--samples", str(store.folder), "--out", str(out),
                        "--data", args.data, "--seed", str(args.seed), *shlex.split(args.personalize)]) != 0:
            raise SystemExit("error: personalizing the Hangul model failed")
        seconds = time.perf_counter() - t
        after = Recognizer.from_file(out)
        figures = {"model": Path(args.hangul).name, "personalize_args": args.personalize,
                   "font": Path(args.font).name, "samples": 300, "personalize_s": round(seconds, 1)}
        for name, chars in (("taught", taught), ("others", untaught)):
            images = [glyph_canvas(args.font, ch, rng) for ch in chars]
            figures[name] = {"before": round(error(base, images, chars), 5),
                             "after": round(error(after, images, chars), 5), "n": len(chars)}
    print(f"{figures['font']} as the user: the 100 taught syllables' other renderings, error "
          f"{figures['taught']['before']:.2%} -> {figures['taught']['after']:.2%}; 500 others "
          f"{figures['others']['before']:.2%} -> {figures['others']['after']:.2%}; personalized in {seconds:.0f} s")
    record.write("personal-hangul", figures)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a digit model trained with --stroke-writers 15")
    ap.add_argument("--hangul", help="instead: this Hangul model, a held-out font as its user")
    ap.add_argument("--data", help="with --hangul: the converted synthesized set to replay")
    ap.add_argument("--font", default="/usr/share/fonts/truetype/lexi/LexiSaebomR.ttf",
                    help="with --hangul: the held-out font that plays the user (default %(default)s)")
    ap.add_argument("--writers", type=int, nargs="+", default=list(range(16, 31)))
    ap.add_argument("--mnist", default=str(DATA / "mnist"))
    ap.add_argument("--personalize", default="", metavar="ARGS",
                    help="more train.personalize arguments, e.g. '--train all --copies 24'")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.hangul:
        if not args.data:
            raise SystemExit("error: --hangul needs --data, the converted synthesized set to replay")
        return hangul(args)
    if not args.model:
        raise SystemExit("error: give --model (a --stroke-writers 15 digit model) or --hangul")

    import record
    from data_tools.mnist import load_mnist
    from data_tools.strokes import load_strokes, place_strokes, writer
    from drawpad import Recognizer
    from drawpad.canvas import PAPER, draw_strokes
    from drawpad.samples import SampleStore
    from train.personalize import main as personalize

    base = Recognizer.from_file(args.model)
    if base.card.get("pendigits_writers_seen") != 15:
        raise SystemExit(f"error: {args.model} was not trained with --stroke-writers 15 (its card says "
                         f"{base.card.get('pendigits_writers_seen')} writers seen)")
    rng = np.random.default_rng(args.seed)

    def drawn(sample):
        strokes, pen = place_strokes(sample, rng)
        return draw_strokes(np.full((400, 400), PAPER, np.uint8), strokes, pen), strokes, pen

    strokes = load_strokes(DATA / "strokes/pendigits-train.ndjson.gz")
    by_writer = {w: [s for s in strokes if writer(s) == w] for w in range(16, 31)}
    _, (x_test, y_test) = load_mnist(args.mnist)
    mnist = (list(255 - x_test), [str(y) for y in y_test])
    figures = {"model": Path(args.model).name, "personalize_args": args.personalize, "writers": {}}
    for w in args.writers:
        mine = by_writer[w]
        corrections = [i for d in "0123456789" for i in [k for k, s in enumerate(mine) if s["label"] == d][:2]]
        rest = [s for k, s in enumerate(mine) if k not in corrections]
        others = [s for v, ss in by_writer.items() if v != w for s in ss]
        own = ([drawn(s)[0] for s in rest], [s["label"] for s in rest])
        other = ([drawn(s)[0] for s in others], [s["label"] for s in others])
        with tempfile.TemporaryDirectory() as tmp:
            store = SampleStore(tmp, "mnist")
            for k in corrections:
                image, placed, pen = drawn(mine[k])
                store.save(mine[k]["label"], image, placed, pen)
            out = Path(tmp) / "mine.h5"
            t = time.perf_counter()
            if personalize(["--model", args.model, "--samples", str(store.folder), "--out", str(out),
                            "--mnist", args.mnist, "--seed", str(args.seed), *shlex.split(args.personalize)]) != 0:
                raise SystemExit(f"error: personalizing for writer {w} failed")
            seconds = time.perf_counter() - t
            after = Recognizer.from_file(out)
            row = {"samples": len(corrections), "personalize_s": round(seconds, 1)}
            for name, (images, labels) in (("own", own), ("other_writers", other), ("mnist", mnist)):
                row[name] = {"before": round(error(base, images, labels), 5),
                             "after": round(error(after, images, labels), 5), "n": len(labels)}
        figures["writers"][str(w)] = row
        cut = 1 - row["own"]["after"] / row["own"]["before"] if row["own"]["before"] else 0.0
        print(f"writer {w}: own digits error {row['own']['before']:.2%} -> {row['own']['after']:.2%} "
              f"({cut:.0%} fewer); other writers {row['other_writers']['before']:.2%} -> "
              f"{row['other_writers']['after']:.2%}; MNIST {row['mnist']['before']:.2%} -> "
              f"{row['mnist']['after']:.2%}; personalized in {seconds:.0f} s", flush=True)
    rows = list(figures["writers"].values())
    figures["mean"] = {name: {when: round(float(np.mean([r[name][when] for r in rows])), 5)
                              for when in ("before", "after")} for name in ("own", "other_writers", "mnist")}
    figures["mean"]["personalize_s"] = round(float(np.mean([r["personalize_s"] for r in rows])), 1)
    m = figures["mean"]
    print(f"mean of {len(rows)} writers: own {m['own']['before']:.2%} -> {m['own']['after']:.2%}, "
          f"other writers {m['other_writers']['before']:.2%} -> {m['other_writers']['after']:.2%}, "
          f"MNIST {m['mnist']['before']:.2%} -> {m['mnist']['after']:.2%}, {m['personalize_s']} s each")
    record.write("personal", figures)


if __name__ == "__main__":
    run(main)
