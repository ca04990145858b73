"""Hangul accuracy on data the model never saw, through the pad's own path.

    python benchmarks/hangul_accuracy.py [--model models/hangul.h5] [--fonts FONT ...] [--seed 0]
    python benchmarks/hangul_accuracy.py --other-packages

1. Held-out fonts (not used in training; default: the card's held_out_fonts;
   --other-packages: every installed Korean font outside the four packages the
   training fonts come from, e.g. fonts-alee, fonts-unfonts-extra, fonts-woowa-bm):
   every syllable of the model, each font, a clean glyph placed on a 400x400
   canvas at random height (80-320 px) and position, recognized with
   Recognizer.recognize: top-1 and top-5.
2. Real PHD08: every sample of ../shared/data/phd08/가.txt converted by
   data_tools.phd08 with the model card's preprocessing (the pad's), top-1.
Each engine reads the same canvases, so their figures must agree. Writes
benchmarks/results/hangul_accuracy-<model>.json.
"""
from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

import numpy as np

from paths import DATA, ROOT, run  # also puts the project on sys.path

# Where Debian puts the four packages training fonts may come from (fonts-nanum
# and fonts-nanum-extra share a folder).
TRAINING_PACKAGE_DIRS = {"nanum", "unfonts-core", "baekmuk"}
CHUNK = 500  # canvases made and read at a time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/hangul.h5"))
    fonts = ap.add_mutually_exclusive_group()
    fonts.add_argument("--fonts", nargs="+", help="held-out font files (default: the model card's)")
    fonts.add_argument("--other-packages", action="store_true",
                       help="installed Korean fonts outside the training fonts' packages")
    ap.add_argument("--phd08", default=str(DATA / "phd08"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", nargs="+", choices=["onnx", "keras"], default=["onnx", "keras"])
    args = ap.parse_args()

    import record

    from data_tools import phd08
    from data_tools.synth import find_fonts, glyph_canvas, has_glyph
    from drawpad import Recognizer
    from drawpad.labels import ksx1001_syllables

    recs = {engine: Recognizer.from_file(args.model, engine=engine) for engine in args.engines}
    rec = next(iter(recs.values()))
    if args.other_packages:
        fonts = [f for f in find_fonts() if f.parent.name not in TRAINING_PACKAGE_DIRS]
        print(f"{len(fonts)} fonts outside {', '.join(sorted(TRAINING_PACKAGE_DIRS))}")
    else:
        fonts = args.fonts or rec.card.get("held_out_fonts") or []
    missing = [str(f) for f in fonts if not Path(f).is_file()]
    if missing:
        raise SystemExit(f"error: font not installed: {', '.join(missing)} (fonts-nanum-extra has NanumBarunpen, "
                         "fonts-unfonts-core UnGungseo)")
    rng = np.random.default_rng(args.seed)
    figures = {"model": Path(args.model).name, "seed": args.seed, "fonts": {}}
    totals = {engine: np.zeros(3, np.int64) for engine in recs}  # glyphs, top-1, top-5 over all the fonts
    for font in fonts:
        t = time.perf_counter()
        syllables = [ch for ch in rec.labels if has_glyph(font, ch)]
        guesses = {engine: [] for engine in recs}
        for i in range(0, len(syllables), CHUNK):
            canvases = [glyph_canvas(font, ch, rng) for ch in syllables[i:i + CHUNK]]
            for engine, r in recs.items():
                guesses[engine] += [[p.label for p in preds] for preds in r.recognize_batch(canvases, top=5)]
        n = len(syllables)
        row = figures["fonts"][Path(font).name] = {}
        for engine, g in guesses.items():
            top1 = sum(gs[0] == ch for gs, ch in zip(g, syllables))
            top5 = sum(ch in gs for gs, ch in zip(g, syllables))
            confused = collections.Counter((ch, gs[0]) for gs, ch in zip(g, syllables) if gs[0] != ch)
            row[engine] = {"glyphs": n, "top1": round(top1 / n, 5), "top5": round(top5 / n, 5),
                           "confused": ["->".join(pair) for pair, _ in confused.most_common(8)]}
            totals[engine] += (n, top1, top5)
            print(f"held-out font {Path(font).name}, {engine}: {n} syllables on a 400x400 canvas "
                  f"(height 80-320 px): top-1 {top1 / n:.4f}, top-5 {top5 / n:.4f}; most confused: "
                  f"{', '.join(row[engine]['confused'])}")
        print(f"  {(time.perf_counter() - t) / n * 1e3:.1f} ms a glyph, rendering and every engine included")
    if len(fonts) > 1:
        for engine, (n, top1, top5) in totals.items():
            figures[f"all_fonts_{engine}"] = {"glyphs": int(n), "top1": round(top1 / n, 5), "top5": round(top5 / n, 5)}
            print(f"all {len(fonts)} held-out fonts together, {engine}: {n} glyphs, top-1 {top1 / n:.4f} "
                  f"({n - top1} wrong), top-5 {top5 / n:.4f}")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ga"
        # the model's own preprocessing (its card's), so an older model is measured fairly too
        phd08.convert(args.phd08, out, rec.spec, labels="ksx1001", progress=False)
        images, labels = np.load(out / "images.npy"), np.load(out / "labels.npy")
    truth = np.array(list(ksx1001_syllables()))[labels]
    for engine, r in recs.items():
        names = np.array(r.labels)[r.probabilities(images).argmax(axis=1)]
        figures[f"phd08_ga_{engine}"] = {"samples": len(images), "top1": round(float(np.mean(names == truth)), 5)}
        print(f"real PHD08 가.txt, {engine}: {len(images)} samples through the converter's preprocessing: "
              f"top-1 {np.mean(names == truth):.4f}")
    record.write(f"hangul_accuracy-{Path(args.model).stem}" + ("-other-packages" if args.other_packages else ""),
                 figures)


if __name__ == "__main__":
    run(main)
