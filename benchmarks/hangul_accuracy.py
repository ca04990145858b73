"""Hangul accuracy on data the model never saw, through the pad's own path.

    python benchmarks/hangul_accuracy.py [--model models/hangul.h5] [--previous OLD.h5] [--fonts FONT ...]
        [--left-out DIR]

1. Held-out fonts (not used in training; default: the model card's held_out_fonts,
   which train.hangul_recipe writes): every syllable of the model, each font, a
   clean glyph placed on a 400x400 canvas at random height (80-320 px) and
   position, recognized with Recognizer.recognize_batch: top-1 and top-5 per font,
   their mean over the fonts and the weakest font.
2. Real PHD08: every sample of ../shared/data/phd08/가.txt converted by
   data_tools.phd08 with the model card's preprocessing (the pad's), top-1.
3. Real writers (../shared/data/hangul-hand, --hand): every syllable of each writer, top-1
   and top-5, their mean and the weakest writer, each read by a model that never saw that
   writer: without-<writer>.h5 of --left-out (train.hangul_recipe's <work>/real), whose
   card must not list the writer. Without --left-out, the model reads only the writers
   its card does not list. --previous reads the same writers.
Both engines read the same canvases, so their figures must agree; --previous reads
them too (ONNX engine), so two models are compared on the same glyphs in one run.
Writes benchmarks/results/hangul_accuracy-<model>.json.
"""
from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

import numpy as np

from paths import DATA, ROOT, run  # also puts the project on sys.path

CHUNK = 500  # canvases made and read at a time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/hangul.h5"))
    ap.add_argument("--previous", help="another model to read the same glyphs (e.g. the one this replaces)")
    ap.add_argument("--fonts", nargs="+", help="held-out font files (default: the model card's)")
    ap.add_argument("--phd08", default=str(DATA / "phd08"))
    ap.add_argument("--hand", default=str(DATA / "hangul-hand"), help="real writers (default %(default)s)")
    ap.add_argument("--left-out", metavar="DIR",
                    help="folder of without-<writer>.h5 models, one per writer (train.hangul_recipe's <work>/real)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", nargs="+", choices=["onnx", "keras"], default=["onnx", "keras"])
    args = ap.parse_args()

    import record

    from data_tools import phd08
    from data_tools.synth import glyph_canvas, has_glyph, split_face
    from drawpad import Recognizer
    from drawpad.labels import ksx1001_syllables

    recs = {engine: Recognizer.from_file(args.model, engine=engine) for engine in args.engines}
    rec = next(iter(recs.values()))
    if args.previous:
        recs["previous"] = Recognizer.from_file(args.previous)
        if recs["previous"].labels != rec.labels:
            raise SystemExit(f"error: {args.previous} does not have the model's labels")
    fonts = args.fonts or rec.card.get("held_out_fonts") or []
    if not fonts:
        raise SystemExit(f"error: {args.model}'s card names no held-out fonts: give --fonts")
    missing = [str(f) for f in fonts if not Path(split_face(f)[0]).is_file()]
    if missing:
        raise SystemExit(f"error: font not installed: {', '.join(missing)} (apt-get install fonts-lexi-gulim "
                         "fonts-lexi-saebom fonts-woowa-bm)")
    rng = np.random.default_rng(args.seed)
    figures = {"model": Path(args.model).name, "previous": args.previous and Path(args.previous).name,
               "seed": args.seed, "model_mb": round(Path(args.model).stat().st_size / 1e6, 2),
               # per network: a mean (train.average) lists its members'
               "heads": [m.get("heads", "syllable") for m in rec.card.get("members", [rec.card])],
               "recipe_minutes": rec.card.get("total_minutes"),
               "fonts": {}}
    for font in fonts:
        t = time.perf_counter()
        syllables = [ch for ch in rec.labels if has_glyph(font, ch)]
        guesses = {name: [] for name in recs}
        for i in range(0, len(syllables), CHUNK):
            canvases = [glyph_canvas(font, ch, rng) for ch in syllables[i:i + CHUNK]]
            for name, r in recs.items():
                guesses[name] += [[p.label for p in preds] for preds in r.recognize_batch(canvases, top=5)]
        n = len(syllables)
        row = figures["fonts"][Path(font).name] = {}
        for name, g in guesses.items():
            top1 = sum(gs[0] == ch for gs, ch in zip(g, syllables))
            top5 = sum(ch in gs for gs, ch in zip(g, syllables))
            confused = collections.Counter((ch, gs[0]) for gs, ch in zip(g, syllables) if gs[0] != ch)
            row[name] = {"glyphs": n, "top1": round(top1 / n, 5), "top5": round(top5 / n, 5),
                         "confused": ["->".join(pair) for pair, _ in confused.most_common(8)]}
            print(f"held-out font {Path(font).name}, {name}: {n} syllables on a 400x400 canvas "
                  f"(height 80-320 px): top-1 {top1 / n:.4f}, top-5 {top5 / n:.4f}; most confused: "
                  f"{', '.join(row[name]['confused'])}")
        print(f"  {(time.perf_counter() - t) / n * 1e3:.1f} ms a glyph, rendering and every model included")
    for name in recs:
        figures[f"mean_{name}"] = mean_of({font: r[name] for font, r in figures["fonts"].items()}, "font", name)

    converted = {}  # real 가 through each model's own preprocessing (its card's)
    have_phd08 = Path(args.phd08).is_dir()
    if not have_phd08:
        print(f"note: {args.phd08} is not here: real PHD08 가 not read (--phd08 DIR)")
    for name, r in recs.items() if have_phd08 else ():
        if r.spec not in converted:
            with tempfile.TemporaryDirectory() as tmp:
                phd08.convert(args.phd08, Path(tmp) / "ga", r.spec, labels="ksx1001", progress=False)
                converted[r.spec] = np.load(Path(tmp) / "ga/images.npy"), np.load(Path(tmp) / "ga/labels.npy")
        images, labels = converted[r.spec]
        truth = np.array(list(ksx1001_syllables()))[labels]
        names = np.array(r.labels)[r.probabilities(images).argmax(axis=1)]
        figures[f"phd08_ga_{name}"] = {"samples": len(images), "top1": round(float(np.mean(names == truth)), 5)}
        print(f"real PHD08 가.txt, {name}: {len(images)} samples through the converter's preprocessing: "
              f"top-1 {np.mean(names == truth):.4f}")
    if Path(args.hand).is_dir():
        figures["writers"] = real_writers(args, rec, recs.get("previous"))
    else:
        print(f"note: {args.hand} is not here: real writers not read (--hand DIR)")
    record.write(f"hangul_accuracy-{Path(args.model).stem}", figures)


def real_writers(args, rec, previous) -> dict:
    """Each writer read by a model that never saw them (and by --previous), top-1 and top-5."""
    from data_tools.handwriting import read_folder
    from drawpad import Recognizer
    from drawpad.image_io import read_image

    by_writer = collections.defaultdict(list)
    for s in read_folder(args.hand):
        if s.label in rec.labels:
            by_writer[s.writer].append(s)
    out = {"hand": str(args.hand), "left_out": args.left_out, "writers": {}}
    for writer, samples in sorted(by_writer.items()):
        path = Path(args.left_out) / f"without-{writer}.h5" if args.left_out else Path(args.model)
        reader = Recognizer.from_file(path) if args.left_out else rec
        if writer in reader.card.get("writers", []):
            if args.left_out:
                raise SystemExit(f"error: {path} learned from writer {writer}: no figure on {writer} may come from it")
            print(f"note: {path.name} learned from writer {writer}: not measured on them (--left-out DIR)")
            continue
        images = [read_image(s.file) for s in samples]
        row = out["writers"][writer] = {"samples": len(samples), "model": path.name}
        for name, r in (("model", reader), ("previous", previous)):
            if r is None:
                continue
            guesses = [[p.label for p in preds] for preds in r.recognize_batch(images, top=5)]
            top1 = float(np.mean([g[0] == s.label for g, s in zip(guesses, samples)]))
            top5 = float(np.mean([s.label in g for g, s in zip(guesses, samples)]))
            confused = collections.Counter((s.label, g[0]) for g, s in zip(guesses, samples) if g[0] != s.label)
            row[name] = {"top1": round(top1, 5), "top5": round(top5, 5),
                         "confused": ["->".join(pair) for pair, _ in confused.most_common(8)]}
            print(f"real writer {writer}, {name} ({path.name if name == 'model' else Path(args.previous).name}, "
                  f"never saw them): {len(samples)} syllables: top-1 {top1:.4f}, top-5 {top5:.4f}; "
                  f"most confused: {', '.join(row[name]['confused'])}")
    for name in ("model", "previous"):
        rows = {w: r[name] for w, r in out["writers"].items() if name in r}
        if rows:
            out[f"mean_{name}"] = mean_of(rows, "writer", name)
    return out


def mean_of(rows: dict, kind: str, name: str) -> dict:
    """Mean top-1 and top-5 over fonts or writers (`kind`), and the weakest, printed."""
    weakest = min(rows, key=lambda k: rows[k]["top1"])
    m = {f"{kind}s": len(rows), "top1": round(float(np.mean([r["top1"] for r in rows.values()])), 5),
         "top5": round(float(np.mean([r["top5"] for r in rows.values()])), 5),
         f"weakest_{kind}": weakest, "weakest_top1": rows[weakest]["top1"]}
    print(f"mean over the {len(rows)} {kind}s, {name}: top-1 {m['top1']:.4f}, top-5 {m['top5']:.4f}; "
          f"weakest {weakest} {m['weakest_top1']:.4f}")
    return m


if __name__ == "__main__":
    run(main)
