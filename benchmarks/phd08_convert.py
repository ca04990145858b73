"""PHD08 conversion: the original project's algorithm vs data_tools.phd08, side by side.

    python benchmarks/phd08_convert.py [--dump ../shared/data/phd08/가.txt] [--files 2350]

1. Speed on the real dump (가.txt, 2,187 samples), with the original pattern and
   with every sample: whole conversions (reading, preprocessing, writing the
   arrays) in this one process, the best of 3 each, so start-up is left out of both.
2. Memory on a PHD08-sized input: --files dump files (default 2,350, as in the
   full PHD08), generated into a temporary folder from the real one and deleted
   after; peak RSS of a fresh conversion process for 100 files and for all of
   them (it must stay flat), and the time with --workers 1 and 2.

The figures go to benchmarks/results/phd08_convert.json (benchmarks/record.py).

The original, as described in the issue: parse every line with list(map(int, row)),
blur and resize each sample with PIL, append to Python lists, save float32, and
take the label from the file's position in os.walk order.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from paths import DATA, ROOT, run  # also puts the project on sys.path

PATTERN = "[A-Z0-9]+_[0-2]_0_2_1_[0-2]"


def original_convert(data_dir: str, out: str, pattern: str | None, size: int = 60) -> int:
    from PIL import Image, ImageFilter

    images, labels = [], []
    label = 0
    for root, _dirs, files in os.walk(data_dir):
        for name in files:
            with open(os.path.join(root, name), encoding="utf-8") as f:
                lines = [line.rstrip("\r\n") for line in f]
            i = 0
            while i < len(lines):
                if not lines[i].strip():
                    i += 1
                    continue
                sample = lines[i].strip()
                h, w = map(int, lines[i + 1].split())
                rows = [list(map(int, row)) for row in lines[i + 2:i + 2 + h]]
                i += 2 + h
                if pattern and not re.fullmatch(pattern, sample):
                    continue
                img = Image.fromarray((np.array(rows) * 255).astype(np.uint8))
                img = img.filter(ImageFilter.GaussianBlur(1)).resize((size, size))
                images.append(np.asarray(img, dtype=np.float32) / 255.0)
                labels.append(label)
            label += 1
    np.save(os.path.join(out, "x.npy"), np.array(images, dtype=np.float32))
    np.save(os.path.join(out, "y.npy"), np.array(labels))
    return len(images)


def ours(data_dir, out, pattern, workers=1) -> int:
    from data_tools.phd08 import convert

    return convert(data_dir, out, pattern=pattern, workers=workers, labels="present",
                   overwrite=True, progress=False).samples


def per_sample_costs(dump: Path) -> tuple[float, float]:
    """Microseconds a sample to parse the dump and to preprocess (best of 3)."""
    from data_tools.phd08 import read_samples, to_image
    from drawpad.preprocess import HANGUL_SPEC

    parse = prep = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        samples = list(read_samples(dump, None, lambda e: None))
        parse = min(parse, (time.perf_counter() - t) / len(samples))
        t = time.perf_counter()
        for s in samples:
            to_image(s.bits, HANGUL_SPEC)
        prep = min(prep, (time.perf_counter() - t) / len(samples))
    return parse * 1e6, prep * 1e6


def timed(fn, *args, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        n = fn(*args)
        best = min(best, time.perf_counter() - t)
    return best, n


def peak_rss_of(args: list[str]) -> tuple[float, float, float]:
    """Run a conversion in a fresh process: (its peak RSS in MB, its largest worker's, seconds)."""
    t = time.perf_counter()
    code = ("import resource, sys; from data_tools.phd08 import main; "
            f"rc = main({args!r}); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        raise RuntimeError(run.stderr)
    main_kb, worker_kb = map(int, run.stdout.strip().splitlines()[-1].split())
    return main_kb / 1024, worker_kb / 1024, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", default=str(DATA / "phd08/가.txt"))
    ap.add_argument("--files", type=int, default=2350)
    args = ap.parse_args()

    import record
    from drawpad.labels import ksx1001_syllables

    figures = {"load_average": {"1_min_before": round(os.getloadavg()[0], 2)}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        one = tmp / "one"
        one.mkdir()
        shutil.copy(args.dump, one / Path(args.dump).name)
        print(f"input: {args.dump}")
        for key, label, pattern, target in (("original_pattern", "original pattern", PATTERN, 4.0),
                                            ("every_sample", "every sample", None, 1.5)):
            t_orig, n_orig = timed(original_convert, str(one), str(tmp), pattern)
            t_ours, n_ours = timed(ours, one, tmp / "out", pattern)
            ratio = t_orig / t_ours
            figures[key] = {"samples": n_ours, "original_ms": round(t_orig * 1e3, 1),
                            "ours_ms": round(t_ours * 1e3, 1), "speed_ratio": round(ratio, 2),
                            "target_ratio": target}
            print(f"{label:17s} original {n_orig:5d} samples {t_orig * 1e3:8.1f} ms | "
                  f"ours {n_ours:5d} samples {t_ours * 1e3:7.1f} ms | {ratio:5.2f}x faster "
                  f"(target {target}x)")
        parse, prep = per_sample_costs(Path(args.dump))
        figures["per_sample_us"] = {"parsing": round(parse, 1), "preprocessing": round(prep, 1),
                                    "original_everything": round(t_orig / n_orig * 1e6, 1)}
        print(f"where our time goes, per sample: parsing {parse:.0f} us, the pad's preprocessing "
              f"{prep:.0f} us; the original takes {t_orig / n_orig * 1e6:.0f} us a sample for everything")

        # Many files: the dump copied under syllable names, keeping 27 samples each
        # (9 fonts x 3 sizes) so the run fits in minutes; RSS must not grow with files.
        text = Path(args.dump).read_bytes()
        blocks = [b for b in text.replace(b"\r\n", b"\n").split(b"\n\n") if b.strip()]
        kept = [b.replace(b"\n", b"\r\n") for b in blocks
                if re.fullmatch(rb"[A-Z0-9]+_[0-2]_0_2_1_1", b.split(b"\n")[0].strip())]
        keep = b"\r\n\r\n".join(kept)
        many = tmp / "many"
        many.mkdir()
        for s in ksx1001_syllables()[:args.files]:
            (many / f"{s}.txt").write_bytes(keep + b"\r\n\r\n")
        small = tmp / "small"
        small.mkdir()
        for f in sorted(many.iterdir())[:100]:
            shutil.copy(f, small / f.name)
        print(f"generated {args.files} dump files x {len(kept)} samples in {many}")
        for key, label, src, workers in (("files_100", "100 files, 1 worker ", small, 1),
                                         (f"files_{args.files}", f"{args.files} files, 1 worker", many, 1),
                                         (f"files_{args.files}_2_workers", f"{args.files} files, 2 workers",
                                          many, 2)):
            rss, worker_rss, secs = peak_rss_of(["--data-dir", str(src), "--out", str(tmp / "m"),
                                                 "--overwrite", "--workers", str(workers)])
            n = len(np.load(tmp / "m" / "labels.npy"))
            figures[key] = {"files": len(list(src.iterdir())), "workers": workers, "samples": n,
                            "seconds": round(secs, 2), "samples_per_s": round(n / secs),
                            "peak_rss_mb": round(rss, 1)}
            if workers > 1:
                figures[key]["peak_rss_worker_mb"] = round(worker_rss, 1)
            print(f"{label}: {n:,} samples in {secs:.1f} s ({n / secs:,.0f} samples/s), "
                  f"peak RSS {rss:.0f} MB" + (f", largest worker {worker_rss:.0f} MB" if workers > 1 else ""))
        grown = figures[f"files_{args.files}"]["peak_rss_mb"] - figures["files_100"]["peak_rss_mb"]
        figures["peak_rss_growth"] = {"from_files": 100, "to_files": args.files, "mb": round(grown, 1),
                                      "target_peak_mb": 300}
        print(f"peak RSS grows {grown:.0f} MB from 100 to {args.files} files (target: flat, <= 300 MB)")
    figures["load_average"]["1_min_after"] = round(os.getloadavg()[0], 2)
    record.write("phd08_convert", figures)


if __name__ == "__main__":
    run(main)
