"""Put models trained before into one: the mean of their probabilities.

    python -m train.average A.h5 B.h5 [C.h5 ...] --out models/hangul.h5

What `--average-with` does at the end of a training run, for models already
trained (say two fine-tuning stages on differently distorted data): one .h5,
one call, each member weighing the same (a mean given as a member adds its
members). They must give the same labels in the same order from the same
preprocessing, as probabilities. The card lists every member's; measure the
mean with benchmarks/pad_accuracy.py or benchmarks/hangul_accuracy.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from drawpad.errors import ModelError
from train.interrupt import interruptible


@interruptible
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", nargs="+", type=Path, metavar="MODEL", help="two or more .h5 models")
    ap.add_argument("--out", type=Path, required=True, help="the mean's .h5 (may be one of the models)")
    args = ap.parse_args(argv)
    if len(args.models) < 2:
        ap.error("a mean needs two models or more")

    from drawpad import Recognizer
    from train.common import averaged, mean_card, members_of, provenance, save_model
    made_by = provenance("train.average", argv)

    try:  # all read before --out, which may be one of them, is replaced
        first = Recognizer.from_file(args.models[0], engine="keras")  # its Keras model's name and input
        members, cards = [], []
        for path in args.models:
            models, model_cards = members_of(path, first.labels, first.spec)
            members += models
            cards += model_cards
    except (OSError, ModelError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    card = mean_card({"name": first.card.get("name", first.model.name), "labels": first.labels,
                      "preprocessing": first.spec.to_dict(), "input_shape": list(first.model.input_shape[1:]),
                      **made_by}, cards)
    out = save_model(averaged(members), args.out, card)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB): the mean of {len(members)} models")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
