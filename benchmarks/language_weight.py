"""The language prior tuned on real writers: how much drawpad.language's Korean model
weighs against the Hangul model's probabilities (drawpad.beam_search's WEIGHT, the shares
of its mixture), and how the ways to split a line are weighed (SPLIT_WEIGHT, CHARACTER_BONUS).

    python benchmarks/language_weight.py [--model models/hangul.h5] [--left-out DIR] [-n 200] [--random 100]

Everyday words (data_tools/everyday_words.txt) and strings of 2-4 random syllables, each
in the hand of one of the writers of ../shared/data/hangul-hand (their own syllable cells
side by side, data_tools.hand_words), are read once with every way to split them
(drawpad.reading); each setting then reads them again from those probabilities
(drawpad.beam_search, no model run): whole words right, lines split into the right number
of characters, characters right.

The setting kept: of those that read the random strings at most half a point worse per
character than no prior with the same split weights (as lines.py compares them; half the
point the issue allows, for the noise of a sample), and at most half a point fewer words
right than the best of them (a word or two: no difference on this many), the one that
reads the random strings best.

Each writer is read by a model that never saw them: without-<writer>.h5 of --left-out,
else --model, whose card must not list them (the shipped model learned from fonts only).
Seed 1: other words than benchmarks/lines.py reads (seed 0). Writes
benchmarks/results/language_weight.json.
"""
from __future__ import annotations

import argparse
import itertools

from paths import DATA, ROOT, run  # also puts the project on sys.path

WEIGHTS = (0.75, 1.0)  # 1.5 and 2 read random strings 2-15 points worse in a first run
MIXTURES = ((0.1, 0.1, 0.8), (0.3, 0.3, 0.4), (0.2, 0.02, 0.78), (0.1, 0.01, 0.89))  # words, n-grams, random
SPLITS = ((0.75, 1.5), (1.0, 1.5), (1.0, 2.0), (1.5, 3.0))  # SPLIT_WEIGHT, CHARACTER_BONUS
# per character on random strings, against no prior: half the 1 point allowed, for the noise
# of a sample of 900 characters (lines.py reads others)
MOST_LOST = 0.005
TIE = 0.005  # words right: settings this close read as many


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/hangul.h5"))
    ap.add_argument("--left-out", metavar="DIR", help="folder of without-<writer>.h5 models, one per writer")
    ap.add_argument("--hand", default=str(DATA / "hangul-hand"), help="real writers (default %(default)s)")
    ap.add_argument("-n", type=int, default=200, help="everyday words of each writer (default %(default)s)")
    ap.add_argument("--random", type=int, default=100, help="random strings of each writer (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    import record
    from hand_lines import accuracy, hand_lines, writer_models

    from data_tools.hand_words import Writers
    from drawpad.beam_search import Prior, line_readings
    from drawpad.language import korean
    from drawpad.reading import read_line

    writers = Writers(args.hand)
    models = writer_models(sorted(writers.files), args.model, args.left_out)
    read = {}
    for kind, count in (("words", args.n), ("random", args.random)):
        lines = hand_lines(writers, kind, count, args.seed)
        read[kind] = [(text, models[w], read_line(models[w], image, alternatives=True)) for w, text, image in lines]
        print(f"{kind}: {len(lines)} lines read", flush=True)

    def measure(prior, split):
        return {kind: accuracy([t for t, _, _ in rows],
                               [line_readings(line, rec.labels, True, 1, prior, *split)[0].text
                                for _, rec, line in rows]) for kind, rows in read.items()}

    language = korean()
    settings = [{"weight": 0.0, "split": split, "figures": measure(None, split)} for split in SPLITS]
    for weight, mix, split in itertools.product(WEIGHTS, MIXTURES, SPLITS):
        settings.append({"weight": weight, "mixture": mix, "split": split,
                         "figures": measure(Prior(language, weight, *mix), split)})
    for s in settings:
        w, r = s["figures"]["words"], s["figures"]["random"]
        print(f"weight {s['weight']}, mixture {s.get('mixture', '-')}, split weight and character bonus "
              f"{s['split']}: "
              f"words {w['whole_string']:.2%} right ({w['right_count']:.2%} right count, {w['per_character']:.2%} "
              f"per character); random strings {r['per_character']:.2%} per character ({r['right_count']:.2%} "
              "right count)", flush=True)
    plain = {s["split"]: s for s in settings if s["weight"] == 0}
    allowed = [s for s in settings if s["weight"] > 0 and s["figures"]["random"]["per_character"]
               >= plain[s["split"]]["figures"]["random"]["per_character"] - MOST_LOST]
    if not allowed:
        record.write("language_weight", {"settings": settings, "chosen": None})
        raise SystemExit("error: no setting reads the random strings within half a point of no prior's; "
                         "none chosen (every setting is in the results file)")
    most = max(s["figures"]["words"]["whole_string"] for s in allowed)
    best = max((s for s in allowed if s["figures"]["words"]["whole_string"] >= most - TIE),
               key=lambda s: (s["figures"]["random"]["per_character"], s["figures"]["words"]["whole_string"]))
    without = plain[best["split"]]
    print(f"chosen: weight {best['weight']}, mixture {best['mixture']}, split weight and character bonus "
          f"{best['split']}: "
          f"words {best['figures']['words']['whole_string']:.2%} right against {without['figures']['words']['whole_string']:.2%} "
          f"without the prior; random strings {best['figures']['random']['per_character']:.2%} per character against "
          f"{without['figures']['random']['per_character']:.2%}")
    record.write("language_weight", {
        "models": {w: rec.source for w, rec in models.items()}, "left_out": args.left_out,
        "lines": {kind: len(rows) for kind, rows in read.items()}, "seed": args.seed,
        "without_prior": without, "chosen": best, "settings": settings})


if __name__ == "__main__":
    run(main)
