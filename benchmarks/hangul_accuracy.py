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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/hangul.h5"))
    fonts = ap.add_mutually_exclusive_group()
    fonts.add_argument("--fonts", nargs="+", help="held-out font files (default: the model card's)")
    fonts.add_argument("--other-packages", action="store_true",
                       help="installed Korean fonts outside the training fonts' packages")
    ap.add_argument("--phd08", default=str(DATA / "phd08"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from data_tools import phd08
    from data_tools.synth import find_fonts, glyph_canvas, has_glyph
    from drawpad import Recognizer
    from drawpad.labels import ksx1001_syllables

    rec = Recognizer.from_file(args.model)
    if args.other_packages:
        fonts = [f for f in find_fonts() if f.parent.name not in TRAINING_PACKAGE_DIRS]
        print(f"{len(fonts)} fonts outside {', '.join(sorted(TRAINING_PACKAGE_DIRS))}")
    else:
        fonts = args.fonts or rec.card.get("held_out_fonts") or []
    rng = np.random.default_rng(args.seed)
    totals = np.zeros(3, np.int64)  # syllables, top-1 right, top-5 right over all the fonts
    for font in fonts:
        t = time.perf_counter()
        top1 = top5 = n = 0
        confused = collections.Counter()
        for ch in rec.labels:
            if not has_glyph(font, ch):
                continue
            guesses = [p.label for p in rec.recognize(glyph_canvas(font, ch, rng), top=5)]
            n += 1
            top1 += guesses[0] == ch
            top5 += ch in guesses
            if guesses[0] != ch:
                confused[(ch, guesses[0])] += 1
        print(f"held-out font {Path(font).name}: {n} syllables on a 400x400 canvas (height 80-320 px): "
              f"top-1 {top1 / n:.4f}, top-5 {top5 / n:.4f}, {(time.perf_counter() - t) / n * 1e3:.1f} ms each")
        print("  most confused: " + ", ".join(f"{a}->{b}" for (a, b), _ in confused.most_common(8)))
        totals += (n, top1, top5)
    if len(fonts) > 1:
        n, top1, top5 = totals
        print(f"all {len(fonts)} held-out fonts together: {n} glyphs, top-1 {top1 / n:.4f} ({n - top1} wrong), "
              f"top-5 {top5 / n:.4f}")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ga"
        # the model's own preprocessing (its card's), so an older model is measured fairly too
        phd08.convert(args.phd08, out, rec.spec, labels="ksx1001", progress=False)
        images, labels = np.load(out / "images.npy"), np.load(out / "labels.npy")
    names = np.array(rec.labels)[rec.probabilities(images).argmax(axis=1)]
    truth = np.array(list(ksx1001_syllables()))[labels]
    print(f"real PHD08 가.txt: {len(images)} samples through the converter's preprocessing: "
          f"top-1 {np.mean(names == truth):.4f}")


if __name__ == "__main__":
    run(main)
