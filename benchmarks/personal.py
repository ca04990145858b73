"""Simulated new users teaching the pad their hand: train.personalize, before and after.

    python benchmarks/personal.py --model W15.h5 [--writers 16 17 ...] [--personalize "--train all"]
    python benchmarks/personal.py --hangul models/hangul.h5 --left-out hangul_work/real [--corrections 50 100 200]

W15.h5 is a digit model trained with `python -m train.digits --stroke-writers 15`, so
pendigits writers 16-30 are new to it. Each of them in turn plays a user: 2 samples
of each digit, replayed onto a 400x400 canvas as the pad would keep them (drawing and
strokes), are the corrections; train.personalize makes that user's model. Then, before
and after: that writer's other digits, the other new writers' digits (what the user's
model forgot of other hands) and MNIST test, all through Recognizer. Per writer, the
mean, and the mean cut of the writers it reads worst (WORST error or more before); writes
benchmarks/results/personal.json.

With --hangul, each real writer of ../shared/data/hangul-hand plays the user of the model that
never saw them (<left-out>/without-<writer>.h5 and the replay set the recipe wrote beside it,
as a shipped model has: nothing but the samples): 50, 100, 200 of their syllables (their scanned cells, seeded order)
are the corrections; then the syllables of theirs never corrected and 500 of each other
writer, before and after. Writes benchmarks/results/personal-hangul.json.
"""
from __future__ import annotations

import argparse
import shlex
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from paths import DATA, run  # also puts the project on sys.path


WORST = 0.05  # a writer the base model reads worst: at least this much error before


def error(rec, images, labels) -> float:
    guesses = [r[0].label if isinstance(r, list) else "refused"
               for r in rec.recognize_batch(images, top=1, errors="return")]
    return float(np.mean([g != t for g, t in zip(guesses, labels)]))


def hangul(args) -> None:
    """Each real writer as the user of a Hangul model that never saw them (see the module's docstring)."""
    import record
    from data_tools.handwriting import read_folder
    from drawpad import Recognizer
    from drawpad.image_io import read_image
    from train.personalize import main as personalize

    by_writer: dict[str, list] = {}
    for s in read_folder(args.hand):
        by_writer.setdefault(s.writer, []).append(s)
    figures = {"model": Path(args.hangul).name, "left_out": args.left_out, "personalize_args": args.personalize,
               "writers": {}}
    for w in args.writers or sorted(by_writer):
        rng = np.random.default_rng([args.seed, int(w) if w.isdigit() else 0])
        mine = [by_writer[w][k] for k in rng.permutation(len(by_writer[w]))]
        test = mine[max(args.corrections):]  # the same syllables read before and after, whatever was taught
        others = [s for v, ss in sorted(by_writer.items()) if v != w
                  for s in [ss[k] for k in rng.choice(len(ss), min(args.others, len(ss)), replace=False)]]
        sets = {"own": ([read_image(s.file) for s in test], [s.label for s in test]),
                "other_writers": ([read_image(s.file) for s in others], [s.label for s in others])}
        with tempfile.TemporaryDirectory() as tmp:
            base_path = Path(tmp) / "base.h5"  # the model that never saw w, with its replay set beside it
            for suffix in (".h5", ".replay.npz"):
                found = Path(args.left_out) / f"without-{w}{suffix}"
                if not found.is_file():
                    raise SystemExit(f"error: {found} is missing (train.hangul_recipe writes it)")
                shutil.copy(found, base_path.with_name("base" + suffix))
            conversion = Path(args.left_out) / f"without-{w}.onnx"
            if conversion.is_file():  # kept by the recipe: the copy is not converted again
                shutil.copy(conversion, base_path.with_suffix(".onnx"))
            base = Recognizer.from_file(base_path)
            if w in base.card.get("writers", []):
                raise SystemExit(f"error: without-{w}.h5 learned from writer {w}")
            before = {name: error(base, *data) for name, data in sets.items()}
            row = figures["writers"][w] = {"base": f"without-{w}.h5", "test": len(test), "others": len(others)}
            for n in args.corrections:
                folder = Path(tmp) / f"samples-{n}"
                for s in mine[:n]:
                    (folder / s.label).mkdir(parents=True, exist_ok=True)
                    shutil.copy(s.file, folder / s.label / s.file.name)
                out = Path(tmp) / f"mine-{n}.h5"
                t = time.perf_counter()
                if personalize(["--model", str(base_path), "--samples", str(folder), "--out", str(out),
                                "--seed", str(args.seed), *shlex.split(args.personalize)]) != 0:
                    raise SystemExit(f"error: personalizing for writer {w} failed")
                seconds = time.perf_counter() - t
                after = Recognizer.from_file(out)
                cell = row[str(n)] = {"personalize_s": round(seconds, 1)}
                for name, data in sets.items():
                    cell[name] = {"before": round(before[name], 5), "after": round(error(after, *data), 5)}
                cut = 1 - cell["own"]["after"] / cell["own"]["before"] if cell["own"]["before"] else 0.0
                print(f"writer {w}, {n} syllables corrected: their other {len(test)} error {cell['own']['before']:.2%}"
                      f" -> {cell['own']['after']:.2%} ({cut:.0%} fewer); the other writers "
                      f"{cell['other_writers']['before']:.2%} -> {cell['other_writers']['after']:.2%}; "
                      f"personalized in {seconds:.0f} s", flush=True)
    figures["mean"] = {}
    for n in map(str, args.corrections):
        cells = [r[n] for r in figures["writers"].values()]
        m = figures["mean"][n] = {name: {when: round(float(np.mean([c[name][when] for c in cells])), 5)
                                         for when in ("before", "after")} for name in ("own", "other_writers")}
        m["cut"] = round(float(np.mean([1 - c["own"]["after"] / c["own"]["before"] for c in cells])), 4)
        m["personalize_s"] = round(float(np.mean([c["personalize_s"] for c in cells])), 1)
        print(f"mean of {len(cells)} writers, {n} corrected: their other syllables' error {m['own']['before']:.2%} -> "
              f"{m['own']['after']:.2%} ({m['cut']:.0%} fewer); the other writers {m['other_writers']['before']:.2%}"
              f" -> {m['other_writers']['after']:.2%}; {m['personalize_s']} s each")
    record.write("personal-hangul", figures)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="a digit model trained with --stroke-writers 15")
    ap.add_argument("--hangul", help="instead: the Hangul model whose --left-out models play the base, real writers as users")
    ap.add_argument("--left-out", help="with --hangul: folder of without-<writer>.h5 (train.hangul_recipe's <work>/real)")
    ap.add_argument("--hand", default=str(DATA / "hangul-hand"), help="with --hangul: the real writers")
    ap.add_argument("--corrections", type=int, nargs="+", default=[50, 100, 200],
                    help="with --hangul: how many of a writer's syllables are corrected (default %(default)s)")
    ap.add_argument("--others", type=int, default=500,
                    help="with --hangul: syllables of each other writer read before and after (default %(default)s)")
    ap.add_argument("--writers", nargs="+", help="the writers who play the user (default: digits 16-30, "
                    "Hangul every writer)")
    ap.add_argument("--mnist", default=str(DATA / "mnist"))
    ap.add_argument("--personalize", default="", metavar="ARGS",
                    help="more train.personalize arguments, e.g. '--train all --copies 24'")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.hangul:
        if not args.left_out:
            raise SystemExit("error: --hangul needs --left-out, the models that never saw each writer")
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
    for w in map(int, args.writers or range(16, 31)):
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
    # The writers personalization is for: those the base model reads worst.
    worst = {w: r for w, r in figures["writers"].items() if r["own"]["before"] >= WORST}
    figures["worst"] = {"writers": sorted(worst), "min_error": WORST,
                        "cut": round(float(np.mean([1 - r["own"]["after"] / r["own"]["before"]
                                                    for r in worst.values()])), 4) if worst else None}
    print(f"writers read worst (own error >= {WORST:.0%} before): {', '.join(sorted(worst)) or 'none'}"
          + (f", their error cut by {figures['worst']['cut']:.0%} on average" if worst else ""))
    record.write("personal", figures)


if __name__ == "__main__":
    run(main)
