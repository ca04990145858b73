"""Recognition latency, cold start and memory: drawpad's engines against the original model.predict.

    python benchmarks/latency.py [--model models/mnist.h5] [-n 200]

One process, the same model, the same inputs (real pendigits strokes replayed on
400x400 pad canvases), one block of calls each, p50 and p99:
- recognize: Recognizer.recognize(canvas, top=3) on the ONNX engine, preprocessing
  included (what SPACE costs);
- preprocessing alone, and the ONNX engine's call alone (one image, one thread);
- Keras: the XLA-compiled function drawpad ran before (TensorFlow on one thread per
  op, as `--engine keras` sets it), and model.predict_on_batch;
- original: shrink the whole canvas to the model input, invert, /255, model.predict
  and argsort for the top 3 (what the original pad did).
Then cold start, each in a new process: `run_pad.py` to its `drawpad ready` line
(under Xvfb where there is no display) and `run_pad.py --image` on one file, end to
end, on a fresh clone's first run with the shipped models, and for the model copied
in as a dropped-in .h5, on its first (converting) and second run; and the pad's
memory (RSS once ready) on each engine. Writes benchmarks/results/latency-<model>.json.

    python benchmarks/latency.py --widths 1 1.5 2

A probe for train.hangul's --width, not a figure to publish: the Hangul network at each
width, random weights, saved and converted as drawpad converts a model, its ONNX engine
call alone timed in alternating blocks; prints p50 and its ratio to the first width, with
parameters, multiply-adds and file size. Writes nothing.
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


def percentiles(times) -> dict:
    ms = np.array(times) * 1e3
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3)}


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


def image_run(cwd: Path, model: str, png: Path) -> float:
    """Seconds for `run_pad.py --image png`, end to end; its output must be one clean line."""
    t = time.perf_counter()
    done = subprocess.run([sys.executable, "run_pad.py", "--model", model, "--image", str(png)],
                          cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"run_pad.py --image failed: {done.stderr.strip()[-300:]}")
    return took


def pad_run(cwd: Path, model: str, env: dict, *options: str) -> tuple[float, int]:
    """(seconds to the pad's `drawpad ready` line, its RSS in MB then)."""
    with tempfile.TemporaryFile("w+") as err:  # a file, not a pipe: unread, a pipe can fill and block
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "run_pad.py", "--model", model, *options], cwd=cwd,
                                env=env, stdout=subprocess.PIPE, stderr=err, text=True)
        ready = rss = None
        for line in proc.stdout:
            if line.startswith("drawpad ready"):
                ready = time.perf_counter() - t
                rss = rss_mb(proc.pid)
                break
        proc.terminate()
        proc.wait(10)
        err.seek(0)
        why = err.read().strip().splitlines()
    if ready is None:  # the pad died: a time taken then would be no start-up time
        raise RuntimeError(f"run_pad.py exited (status {proc.returncode}) before it was ready: "
                           f"{why[-1] if why else 'no message'}")
    return ready, rss


def rss_mb(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return round(kb / 1024)


def cold_start(model: Path) -> dict:
    """Start-up figures, each in a new process (see the module's docstring)."""
    import cv2

    env = dict(os.environ)
    server = None
    if not env.get("DISPLAY") and shutil.which("Xvfb"):
        from xvfb import Xvfb

        server = Xvfb()
        env["DISPLAY"] = server.display
    pad = env.get("DISPLAY") is not None
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        png = tmp / "digit.png"
        cv2.imwrite(str(png), canvases(1, seed=1)[0])
        clone = tmp / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        shipped = model.stem if (clone / "models" / model.name).is_file() else str(model)
        dropped = tmp / "dropped" / f"mine-{model.name}"  # nothing converted beside it yet
        dropped.parent.mkdir()
        shutil.copy(model, dropped)
        try:
            if pad:
                out["fresh_clone_ready_s"], out["pad_rss_onnx_mb"] = pad_run(clone, shipped, env)
            out["fresh_clone_image_s"] = image_run(clone, shipped, png)
            out["dropped_in_first_image_s"] = image_run(clone, str(dropped), png)  # converts
            out["dropped_in_second_image_s"] = image_run(clone, str(dropped), png)
            if pad:
                dropped.with_suffix(".onnx").unlink()
                out["dropped_in_first_ready_s"], _ = pad_run(clone, str(dropped), env)
                out["dropped_in_second_ready_s"], _ = pad_run(clone, str(dropped), env)
                _, out["pad_rss_keras_mb"] = pad_run(clone, shipped, env, "--engine", "keras")
        finally:
            if server:
                server.close()
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def multiply_adds(model) -> int:
    """Multiply-adds of one image through the Conv2D and Dense layers (what the time goes to)."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)):
            kernel = layer.kernel.shape  # (kh, kw, in, out) or (in, out)
            places = int(np.prod(layer.output.shape[1:-1])) if len(kernel) == 4 else 1
            total += places * int(np.prod(kernel))
    return total


def width_probe(widths: list[float], n: int, rounds: int = 4) -> None:
    """The --widths probe (see the module's docstring)."""
    import keras

    from drawpad.engine import feed
    from drawpad.labels import ksx1001_syllables
    from drawpad.preprocess import HANGUL_SPEC
    from drawpad.recognizer import Recognizer
    from train.common import provenance, save_model
    from train.hangul import build_model, layer_sizes, shipped_model

    names, size = list(ksx1001_syllables()), HANGUL_SPEC.size
    images = canvases(n)
    keras.utils.set_random_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        recs, facts = {}, {}
        for width in widths:
            model = shipped_model(build_model(names, size, width=width), names, size, True, width)
            card = {"name": "hangul", "labels": names, "preprocessing": HANGUL_SPEC.to_dict(),
                    "input_shape": [size, size, 1], "width": width, **provenance("benchmarks.latency", None)}
            path = save_model(model, Path(tmp) / f"width-{width:g}.h5", card)
            recs[width] = Recognizer.from_file(path)  # converted beside it, as the pad converts
            facts[width] = (layer_sizes(width), model.count_params(), multiply_adds(model),
                            path.stat().st_size, path.with_suffix(".onnx").stat().st_size)
        inputs = [feed(recs[widths[0]].prepare(image)[None], (size, size, 1)) for image in images]
        # Blocks of each width in turn: a machine whose load changes slows them all alike.
        times = {width: [] for width in widths}
        for block in range(rounds):
            for width in widths:
                times[width] += timed(recs[width].runner.run, inputs[block::rounds])
    base = np.percentile(times[widths[0]], 50)
    print(f"the Hangul network by width, random weights, ONNX engine call alone, {n} calls each, "
          f"{os.cpu_count()} CPUs")
    print(f"{'width':>6} {'filters, dense':>26} {'params':>10} {'mult-adds':>10} {'.h5 MB':>7} {'.onnx MB':>8} "
          f"{'p50 ms':>7} {'ratio':>6}")
    for width in widths:
        (filters, units), params, macs, h5, onnx = facts[width]
        p50 = np.percentile(times[width], 50)
        print(f"{width:6g} {'-'.join(map(str, filters)) + f', {units}':>26} {params:10,d} {macs / 1e6:9.1f}M "
              f"{h5 / 1e6:7.1f} {onnx / 1e6:8.1f} {p50 * 1e3:7.3f} {p50 / base:6.2f}")


def main() -> None:
    from train.hangul import positive

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(ROOT / "models/mnist.h5"))
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--no-cold-start", action="store_true", help="time recognition only")
    ap.add_argument("--widths", type=positive, nargs="+", metavar="F",
                    help="instead: the Hangul network at these train.hangul --width values, ONNX calls "
                         "side by side, their ratio to the first (a probe; writes nothing)")
    args = ap.parse_args()
    if args.widths:
        width_probe(args.widths, args.n)
        return

    from drawpad.engine import feed, use_one_thread
    from drawpad.recognizer import Recognizer

    import record

    one_thread = use_one_thread()  # as run_pad.py --engine keras does
    rec = Recognizer.from_file(args.model)
    keras = Recognizer.from_file(args.model, engine="keras")
    if rec.engine != "onnx":
        raise SystemExit(f"error: {args.model} does not run on the ONNX engine")
    images = canvases(args.n)
    inputs = [feed(rec.prepare(image)[None], rec.runner.input_shape) for image in images]
    size = rec.spec.size
    # One block each, back to back: interleaving would let model.predict's
    # data-pipeline threads slow the next call, which no user sees.
    rows = {
        "recognize (ONNX engine, preprocessing included)": timed(lambda im: rec.recognize(im, top=3), images),
        "preprocessing alone": timed(rec.prepare, images),
        "ONNX engine call alone": timed(rec.runner.run, inputs),
        "Keras: XLA-compiled function alone": timed(keras.runner._one, inputs),
        "Keras: model.predict_on_batch alone": timed(keras.model.predict_on_batch, inputs),
        "original: resize + model.predict": timed(lambda im: original_top3(keras.model, im, size), images),
    }
    figures = {"model": Path(args.model).name, "n": args.n, "tensorflow_one_thread": one_thread,
               **{name: percentiles(times) for name, times in rows.items()}}
    ours, original = figures["recognize (ONNX engine, preprocessing included)"], \
        figures["original: resize + model.predict"]
    figures["speed_up_p50"] = round(original["p50_ms"] / ours["p50_ms"], 1)
    figures["speed_up_p99"] = round(original["p99_ms"] / ours["p99_ms"], 1)
    print(f"model: {args.model}, {args.n} recognitions of replayed pen strokes, {os.cpu_count()} CPUs")
    for name in rows:
        print(f"{name:50s} p50 {figures[name]['p50_ms']:8.3f} ms   p99 {figures[name]['p99_ms']:8.3f} ms")
    print(f"recognize is {figures['speed_up_p50']}x faster than the original at p50, "
          f"{figures['speed_up_p99']}x at p99")
    if not args.no_cold_start:
        try:
            figures["cold_start"] = cold_start(Path(args.model).resolve())
        except (RuntimeError, subprocess.CalledProcessError) as e:
            raise SystemExit(f"error: cold start: {e}") from None
        for name, value in figures["cold_start"].items():
            print(f"cold start, {name}: {value}")
    record.write(f"latency-{Path(args.model).stem}", figures)


if __name__ == "__main__":
    run(main)
