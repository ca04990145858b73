"""Recognition latency: drawpad's SPACE-to-top-3 vs the original project's model.predict.

    python benchmarks/latency.py [--model models/mnist.h5] [-n 200]

Both run in this one process on the same model and the same canvases (real
pendigits strokes replayed on a 400x400 pad), with TensorFlow on one thread per op
as run_pad.py sets it (drawpad.recognizer.use_one_thread; benchmarks/threads.py
compares that with TensorFlow's default threads):
- drawpad: Recognizer.recognize(canvas, top=3), preprocessing included (one
  image goes through the XLA-compiled function Recognizer makes at load), and
  the same with Keras's model.predict_on_batch instead of that function;
- original: shrink the whole canvas to the model input, invert, /255, then
  model.predict(x) and argsort for the top 3 (what the original pad did).
Then cold start: `python run_pad.py` to the first frame on screen and to the
model loaded behind it (under Xvfb when there is no display), and
`run_pad.py --image` for one file, end to end.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from paths import DATA, ROOT, run  # also puts the project on sys.path


def percentiles(times):
    ms = np.array(times) * 1e3
    return np.percentile(ms, 50), np.percentile(ms, 99)


def timed(fn, items) -> list[float]:
    """Seconds for fn on each item, after a warm-up on the first ten."""
    for item in items[:10]:
        fn(item)
    times = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        times.append(time.perf_counter() - t)
    return times


def canvases(n: int, seed: int = 0):
    from data_tools.strokes import load_strokes, replay

    strokes = load_strokes(DATA / "strokes/pendigits-train.ndjson.gz")
    rng = np.random.default_rng(seed)
    return [replay(strokes[i], rng) for i in rng.choice(len(strokes), n, replace=False)]


def original_top3(model, canvas, size):
    import cv2

    x = (255 - cv2.resize(canvas, (size, size))).astype(np.float32) / 255
    p = model.predict(x.reshape(1, size, size, 1), verbose=0)[0]
    return np.argsort(-p)[:3]


def cold_start(model: str) -> tuple[float | None, float | None, float]:
    """(seconds to the window's first frame, to the model loaded behind it: both None
    without a display; seconds for --image). RuntimeError if the pad exits before loading."""
    import cv2

    with tempfile.TemporaryDirectory() as tmp:
        png = Path(tmp) / "digit.png"
        cv2.imwrite(str(png), canvases(1, seed=1)[0])
        t = time.perf_counter()
        subprocess.run([sys.executable, "run_pad.py", "--model", model, "--image", str(png)],
                       cwd=ROOT, check=True, capture_output=True)
        headless = time.perf_counter() - t

    sys.path.insert(0, str(ROOT / "tests"))
    env = dict(os.environ)
    xvfb = None
    if not env.get("DISPLAY"):
        if not shutil.which("Xvfb"):
            return None, None, headless
        from window import Xvfb
        xvfb = Xvfb()
        env["DISPLAY"] = xvfb.display
    window = ready = None
    try:
        with tempfile.TemporaryFile("w+") as err:  # a file, not a pipe: unread, a pipe can fill and block
            t = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "run_pad.py", "--model", model], cwd=ROOT,
                                    env=env, stdout=subprocess.PIPE, stderr=err, text=True)
            for line in proc.stdout:
                if line.startswith("drawpad window open"):
                    window = time.perf_counter() - t
                if line.startswith("drawpad ready"):
                    ready = time.perf_counter() - t
                    break
            proc.terminate()
            proc.wait(10)
            err.seek(0)
            why = err.read().strip().splitlines()
    finally:
        if xvfb:
            xvfb.close()
    if ready is None:  # the pad died: a time taken then would be no start-up time
        raise RuntimeError(f"run_pad.py exited (status {proc.returncode}) before its model had "
                           f"loaded: {why[-1] if why else 'no message'}")
    return window, ready, headless


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/mnist.h5"))
    ap.add_argument("-n", type=int, default=200)
    args = ap.parse_args()

    from drawpad.recognizer import Recognizer, use_one_thread

    one_thread = use_one_thread()  # as run_pad.py does
    rec = Recognizer.from_file(args.model)
    images = canvases(args.n)
    size = rec.spec.size
    # One block each, back to back: interleaving would let model.predict's
    # data-pipeline threads slow the next recognize call, which no user sees.
    ours = timed(lambda image: rec.recognize(image, top=3), images)
    compiled, rec._one = rec._one, rec.model.predict_on_batch  # Keras's own call, for comparison
    keras_call = timed(lambda image: rec.recognize(image, top=3), images)
    rec._one = compiled
    orig = timed(lambda image: original_top3(rec.model, image, size), images)
    (p50, p99), (k50, k99), (o50, o99) = percentiles(ours), percentiles(keras_call), percentiles(orig)
    print(f"model: {args.model}, {args.n} recognitions of replayed pen strokes, {os.cpu_count()} CPUs, "
          f"TensorFlow on {'one thread' if one_thread else 'its default threads'} per op")
    print(f"drawpad recognize (preprocess + compiled function): p50 {p50:.2f} ms  p99 {p99:.2f} ms")
    print(f"  the same with Keras's predict_on_batch instead:   p50 {k50:.2f} ms  p99 {k99:.2f} ms")
    print(f"original (resize + model.predict):                  p50 {o50:.2f} ms  p99 {o99:.2f} ms")
    print(f"speed-up at p50: {o50 / p50:.1f}x   at p99: {o99 / p99:.1f}x "
          f"(over predict_on_batch: {k50 / p50:.2f}x, {k99 / p99:.2f}x)")

    try:
        window, ready, headless = cold_start(args.model)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        raise SystemExit(f"error: cold start: {e}") from None
    print(f"cold start, run_pad.py --image one file, end to end: {headless:.2f} s")
    print("cold start, run_pad.py to first frame on screen: " +
          (f"{window:.2f} s, to the model loaded: {ready:.2f} s" if window is not None
           else "skipped (no display, no Xvfb)"))


if __name__ == "__main__":
    run(main)
