"""What the pad's preprocessing costs on MNIST: one network, trained the same way on each input.

    python benchmarks/preprocessing_cost.py [--epochs 6] [--strokes 0.10 0.12]

Trains train.digits' network on clean MNIST train (55,000, no augmentation, no
pen strokes; the last 5,000 for validation) once per input, then measures MNIST
test on the same input:
- raw: the MNIST digits as they are (what MNIST papers measure);
- no stroke redraw: drawpad's preprocessing with stroke=None (binarize, crop,
  fit, centre of mass): what normalizing position and size costs;
- drawpad: the pad's full preprocessing, which also redraws every stroke at one
  width so that a thick and a thin pen give the same input;
- drawpad at each --strokes width (a fraction of the box; the pad's is DIGITS_SPEC.stroke).
A test digit the preprocessing refuses counts as wrong. 3-4 minutes an
input on a 2-core CPU; one seed, so differences of a few digits are noise.
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import tempfile
import time

import numpy as np

from paths import DATA, run  # also puts the project on sys.path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mnist", default=str(DATA / "mnist"))
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--strokes", type=float, nargs="*", default=[], metavar="WIDTH",
                    help="also train on the pad's preprocessing with these stroke widths")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from drawpad.engine import import_keras

    keras = import_keras()

    from data_tools.mnist import load_mnist
    from drawpad.preprocess import DIGITS_SPEC
    from train.common import fit, inked_rows, parallel_map, predict_classes, right_answers
    from train.digits import build_model, preprocess_digits

    (x_train, y_train), (x_test, y_test) = load_mnist(args.mnist)
    n_val = len(x_train) // 12  # as train.digits splits it
    specs = {"no stroke redraw": dataclasses.replace(DIGITS_SPEC, stroke=None),
             f"drawpad (stroke {DIGITS_SPEC.stroke})": DIGITS_SPEC,
             **{f"drawpad, stroke {w}": dataclasses.replace(DIGITS_SPEC, stroke=w) for w in args.strokes}}
    inputs = {"raw": lambda x: x}
    inputs.update({name: functools.partial(parallel_map, functools.partial(preprocess_digits, spec=spec))
                   for name, spec in specs.items()})

    rows = []
    for name, prepare in inputs.items():
        print(f"{name}:", flush=True)
        t = time.perf_counter()
        x, x_t = prepare(x_train), prepare(x_test)
        fit_rows = inked_rows(x[:-n_val])  # digits the preprocessing refused are no training data
        keras.utils.set_random_seed(args.seed)
        with tempfile.TemporaryDirectory() as tmp:
            model, _ = fit(lambda: build_model(10), (x[:-n_val], y_train[:-n_val], fit_rows),
                           (x[-n_val:], y_train[-n_val:]), f"{tmp}/m.h5", epochs=args.epochs,
                           strategy="default", seed=args.seed)
            val = np.mean(predict_classes(model, x[-n_val:]) == y_train[-n_val:])
            right = right_answers(model, x_t, y_test)
        rows.append(f"{name:<28} {val:>10.4f} {right.mean():>10.4f} {np.count_nonzero(~right):>6} "
                    f"{time.perf_counter() - t:>5.0f}s")
    print(f"\ntrain.digits' network, clean MNIST train, {args.epochs} epochs, seed {args.seed}:")
    print(f"{'input':<28} {'validation':>10} {'MNIST test':>10} {'wrong':>6} {'time':>6}")
    print("\n".join(rows))


if __name__ == "__main__":
    run(main)
