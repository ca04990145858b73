"""One TensorFlow thread per op (what run_pad.py sets) against TensorFlow's defaults.

    python benchmarks/threads.py [--model models/mnist.h5] [--pairs 10] [-n 200]

The thread pools are fixed when TensorFlow starts, so each setting needs its own
process: this runs `--pairs` pairs of them, alternating, each timing `-n`
Recognizer.recognize calls on the same replayed pen strokes as latency.py.
Alternating pairs, because this machine drifts more between runs than the two
settings differ.
"""
from __future__ import annotations

import argparse
import subprocess
import sys

import numpy as np

from paths import ROOT, run  # also puts the project on sys.path


def child(model: str, n: int, one_thread: bool) -> None:
    from latency import canvases, percentiles, timed

    from drawpad.recognizer import Recognizer, use_one_thread

    if one_thread and not use_one_thread():
        sys.exit("could not set one thread: TensorFlow had started")
    rec = Recognizer.from_file(model)
    p50, p99 = percentiles(timed(lambda image: rec.recognize(image, top=3), canvases(n)))
    print(f"{p50:.3f} {p99:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/mnist.h5"))
    ap.add_argument("--pairs", type=int, default=10)
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--child", choices=["one", "default"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args.model, args.n, args.child == "one")

    results = {"default": [], "one": []}
    for i in range(args.pairs):
        for setting in results:
            run = subprocess.run([sys.executable, __file__, "--child", setting, "--model", args.model,
                                  "-n", str(args.n)], capture_output=True, text=True, check=True)
            results[setting].append([float(v) for v in run.stdout.split()[-2:]])
        (d50, d99), (o50, o99) = results["default"][-1], results["one"][-1]
        print(f"pair {i + 1}: default threads p50 {d50:.2f} ms p99 {d99:.2f} ms | "
              f"one thread p50 {o50:.2f} ms p99 {o99:.2f} ms", flush=True)
    default, one = np.array(results["default"]), np.array(results["one"])
    print(f"model: {args.model}, {args.pairs} pairs of {args.n} recognitions")
    print(f"mean p50: default threads {default[:, 0].mean():.2f} ms, one thread {one[:, 0].mean():.2f} ms "
          f"({default[:, 0].mean() / one[:, 0].mean():.2f}x); mean p99: {default[:, 1].mean():.2f} ms, "
          f"{one[:, 1].mean():.2f} ms")
    print(f"one thread faster at p50 in {int(np.sum(one[:, 0] < default[:, 0]))} of {args.pairs} pairs")


if __name__ == "__main__":
    run(main)
