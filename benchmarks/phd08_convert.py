"""PHD08 conversion: the original project's algorithm vs data_tools.phd08, side by side.

    python benchmarks/phd08_convert.py [--dump ../shared/data/phd08/가.txt] [--whole-files 24]
                                       [--files 2350] [--quick]

1. In one process, on the real dump (가.txt, 2,187 samples), with the original
   pattern and with every sample: whole conversions (reading, preprocessing,
   writing the arrays), the best of 3 each, start-up left out of both; and
   where a sample's time goes.
2. Whole processes, as a user runs them: `python -m data_tools.phd08` against the
   original as a script (benchmarks/phd08_original.py), on --whole-files copies
   of the real dump named after other syllables, best of 3, with each one's
   start-up (the same command on a one-sample dump) and peak RSS; and from them
   a projection for the full PHD08, 2,350 such files: time, and peak memory (the
   original keeps every sample in memory, the converter one file at a time).
3. Memory on a PHD08-sized input: --files dump files (default 2,350, as in the
   full PHD08), generated into a temporary folder from the real one and deleted
   after; peak RSS of a fresh conversion process for 100 files and for all of
   them (it must stay flat), and the time with --workers 1 and 2.

The figures go to benchmarks/results/phd08_convert.json (benchmarks/record.py).
--quick is a smoke test: 2 copies, 20 generated files, one try each, nothing
recorded.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from paths import DATA, ROOT, run  # also puts the project on sys.path
from phd08_original import original_convert

PATTERN = "[A-Z0-9]+_[0-2]_0_2_1_[0-2]"
FULL_PHD08_FILES = 2350  # one dump file per KS X 1001 syllable


def ours(data_dir, out, pattern, workers=1) -> int:
    from data_tools.phd08 import convert

    return convert(data_dir, out, pattern=pattern, workers=workers, labels="present",
                   overwrite=True, progress=False).samples


def per_sample_costs(dump: Path, repeat: int = 3) -> tuple[float, float]:
    """Microseconds a sample to parse the dump and to preprocess (best of `repeat`)."""
    from data_tools.phd08 import read_samples, to_image
    from drawpad.preprocess import HANGUL_SPEC

    parse = prep = float("inf")
    for _ in range(repeat):
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


# Starts a command and writes its wall time and peak RSS (of it and the workers it waited for).
# A child's peak RSS counts from its parent's at the fork (Linux keeps the high-water mark across
# exec), so this small launcher stands between the command and this benchmark's large process.
LAUNCHER = ("import os, subprocess, sys, time; t = time.perf_counter(); p = subprocess.Popen(sys.argv[2:]); "
            "_, status, usage = os.wait4(p.pid, 0); open(sys.argv[1], 'w').write("
            "f'{time.perf_counter() - t} {usage.ru_maxrss}'); sys.exit(os.waitstatus_to_exitcode(status))")


def process(command: list[str], tmp: Path) -> tuple[float, float]:
    """Run a command as a user would, from the checkout: (seconds, its peak RSS in MB)."""
    log, measured = tmp / "process.log", tmp / "process.measured"
    with open(log, "wb") as out:
        run = subprocess.run([sys.executable, "-c", LAUNCHER, str(measured), *command], cwd=ROOT,
                             stdout=out, stderr=subprocess.STDOUT)
    if run.returncode != 0:
        raise SystemExit(f"error: {shlex.join(command)} failed:\n{log.read_text(errors='replace')[-2000:]}")
    seconds, kb = measured.read_text().split()
    return float(seconds), int(kb) / 1024


def best_process(command: list[str], tmp: Path, repeat: int) -> dict:
    """The best of `repeat` runs: seconds, and the peak RSS of that run."""
    seconds, rss = min(process(command, tmp) for _ in range(repeat))
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(rss, 1)}


def commands(data: Path, out: Path, pattern: str | None) -> dict[str, list[str]]:
    """Ours as a user runs it, and the original as the script it was."""
    choose = ["--pattern", pattern] if pattern else []
    return {"ours": [sys.executable, "-m", "data_tools.phd08", "--data-dir", str(data), "--out", str(out / "ours"),
                     "--overwrite", *choose],
            "original": [sys.executable, "benchmarks/phd08_original.py", str(data), str(out / "original"), *choose]}


def dump_blocks(dump: Path) -> list[bytes]:
    """The dump's samples, each its name, size and rows, LF line ends."""
    text = dump.read_bytes().replace(b"\r\n", b"\n")
    return [b for b in text.split(b"\n\n") if b.strip()]


def faster(a: float, b: float) -> float | None:
    """How many times faster b's time is than a's; None where b is no time at all."""
    return round(a / b, 2) if b > 0 else None


def shown(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def whole_processes(dump: Path, tmp: Path, copies: int, repeat: int) -> dict:
    """Both algorithms as whole processes on `copies` copies of the dump, and a projection
    for the full PHD08; prints as it goes."""
    from drawpad.labels import ksx1001_syllables

    single, many, one, out = tmp / "whole_1", tmp / "whole", tmp / "whole_one", tmp / "whole_out"
    for folder in (single, many, one, out / "ours", out / "original"):
        folder.mkdir(parents=True)
    for s in ksx1001_syllables()[:copies]:
        shutil.copy(dump, many / f"{s}.txt")
    shutil.copy(dump, single / dump.name)
    blocks = dump_blocks(dump)
    (one / dump.name).write_bytes(blocks[0].replace(b"\n", b"\r\n") + b"\r\n\r\n")
    per_file = {"original_pattern": sum(bool(re.fullmatch(PATTERN.encode(), b.split(b"\n")[0].strip()))
                                        for b in blocks), "every_sample": len(blocks)}
    print(f"whole processes on {copies} copies of {dump.name} ({per_file['every_sample']:,} samples each), "
          f"best of {repeat}, from the checkout as a user runs them:")
    start = {who: best_process(command, tmp, repeat) for who, command in commands(one, out, None).items()}
    print(f"  start-up (a one-sample dump): ours {start['ours']['seconds']:.2f} s, "
          f"the original {start['original']['seconds']:.2f} s")
    figures = {"files": copies, "start_up": start}
    for key, pattern in (("original_pattern", PATTERN), ("every_sample", None)):
        samples, full = per_file[key] * copies, per_file[key] * FULL_PHD08_FILES
        runs = {who: best_process(command, tmp, repeat)
                for who, command in commands(many, out, pattern).items()}
        work = {who: max(0.0, runs[who]["seconds"] - start[who]["seconds"]) for who in runs}
        us = {who: round(work[who] / samples * 1e6, 1) for who in runs}
        projected = {who: {"hours": round((start[who]["seconds"] + work[who] * full / samples) / 3600, 2)}
                     for who in runs}
        # Memory: the converter holds one file at a time (flat from 100 to 2,350 files, below), so
        # its peak stays; the original holds every sample read, so its peak grows by what each
        # file adds (measured against a one-file run) for every file still to come.
        projected["ours"]["peak_rss_mb"] = runs["ours"]["peak_rss_mb"]
        one_file = best_process(commands(single, out, pattern)["original"], tmp, repeat)["peak_rss_mb"]
        per_copy = (runs["original"]["peak_rss_mb"] - one_file) / max(1, copies - 1)
        projected["original"]["peak_rss_mb"] = round(runs["original"]["peak_rss_mb"]
                                                     + per_copy * (FULL_PHD08_FILES - copies))
        figures[key] = {"samples": samples, **runs,
                        "speed_ratio": faster(runs["original"]["seconds"], runs["ours"]["seconds"]),
                        "speed_ratio_start_up_subtracted": faster(work["original"], work["ours"]),
                        "us_per_sample": us, "full_phd08": {"files": FULL_PHD08_FILES, "samples": full, **projected}}
        f = figures[key]
        print(f"  {key.replace('_', ' ')} ({samples:,} samples): ours {runs['ours']['seconds']:.2f} s, "
              f"{runs['ours']['peak_rss_mb']:.0f} MB | the original {runs['original']['seconds']:.2f} s, "
              f"{runs['original']['peak_rss_mb']:.0f} MB | {shown(f['speed_ratio'])} faster, "
              f"{shown(f['speed_ratio_start_up_subtracted'])} with start-up subtracted "
              f"({us['ours']:.0f} against {us['original']:.0f} us a sample)")
        print(f"    the full PHD08 ({FULL_PHD08_FILES:,} files, {full:,} samples), projected: ours "
              f"{projected['ours']['hours']:.2f} h, {projected['ours']['peak_rss_mb']:,.0f} MB | the original "
              f"{projected['original']['hours']:.2f} h, {projected['original']['peak_rss_mb']:,.0f} MB")
    every = figures["every_sample"]
    if every["us_per_sample"]["original"] < every["us_per_sample"]["ours"]:
        full = every["full_phd08"]
        figures["plainly"] = (
            f"the original algorithm is faster per sample ({every['us_per_sample']['original']:.0f} against "
            f"{every['us_per_sample']['ours']:.0f} us): the pad's preprocessing (crop, fit, strokes redrawn along "
            f"their skeleton, centring) is heavier than its blur and resize. The full PHD08 takes "
            f"{full['ours']['hours']:.1f} h with data_tools.phd08 in {full['ours']['peak_rss_mb']:,.0f} MB, "
            f"against {full['original']['hours']:.1f} h for the original, which would need "
            f"{full['original']['peak_rss_mb'] / 1024:,.0f} GB of memory")
        print(f"  plainly: {figures['plainly']}")
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dump", default=str(DATA / "phd08/가.txt"), help="a real PHD08 dump (default %(default)s)")
    ap.add_argument("--whole-files", type=int, default=24,
                    help="copies of the dump converted as whole processes (default %(default)s)")
    ap.add_argument("--files", type=int, default=FULL_PHD08_FILES,
                    help="generated dump files for the memory check (default %(default)s)")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke test: 2 copies, 20 generated files, one try each, nothing recorded")
    args = ap.parse_args()
    if not Path(args.dump).is_file():
        raise SystemExit(f"error: {args.dump}: no such dump file")
    repeat = 1 if args.quick else 3
    if args.quick:
        args.whole_files, args.files = 2, 20

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
            t_orig, n_orig = timed(original_convert, str(one), str(tmp), pattern, repeat=repeat)
            t_ours, n_ours = timed(ours, one, tmp / "out", pattern, repeat=repeat)
            ratio = t_orig / t_ours
            figures[key] = {"samples": n_ours, "original_ms": round(t_orig * 1e3, 1),
                            "ours_ms": round(t_ours * 1e3, 1), "speed_ratio": round(ratio, 2),
                            "target_ratio": target}
            print(f"{label:17s} original {n_orig:5d} samples {t_orig * 1e3:8.1f} ms | "
                  f"ours {n_ours:5d} samples {t_ours * 1e3:7.1f} ms | {ratio:5.2f}x faster "
                  f"(target {target}x), one process")
        parse, prep = per_sample_costs(Path(args.dump), repeat)
        figures["per_sample_us"] = {"parsing": round(parse, 1), "preprocessing": round(prep, 1),
                                    "original_everything": round(t_orig / n_orig * 1e6, 1)}
        print(f"where our time goes, per sample: parsing {parse:.0f} us, the pad's preprocessing "
              f"{prep:.0f} us; the original takes {t_orig / n_orig * 1e6:.0f} us a sample for everything")

        figures["whole_processes"] = whole_processes(Path(args.dump), tmp, args.whole_files, repeat)

        # Many files: the dump copied under syllable names, keeping 27 samples each
        # (9 fonts x 3 sizes) so the run fits in minutes; RSS must not grow with files.
        kept = [b.replace(b"\n", b"\r\n") for b in dump_blocks(Path(args.dump))
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
        first = min(100, args.files)
        for key, label, src, workers in ((f"files_{first}", f"{first} files, 1 worker ", small, 1),
                                         (f"files_{args.files}", f"{args.files} files, 1 worker", many, 1),
                                         (f"files_{args.files}_2_workers", f"{args.files} files, 2 workers",
                                          many, 2)):
            secs, rss = process([sys.executable, "-m", "data_tools.phd08", "--data-dir", str(src), "--out",
                                 str(tmp / "m"), "--overwrite", "--workers", str(workers)], tmp)
            n = len(np.load(tmp / "m" / "labels.npy"))
            figures[key] = {"files": len(list(src.iterdir())), "workers": workers, "samples": n,
                            "seconds": round(secs, 2), "samples_per_s": round(n / secs),
                            "peak_rss_mb": round(rss, 1)}
            print(f"{label}: {n:,} samples in {secs:.1f} s ({n / secs:,.0f} samples/s), peak RSS {rss:.0f} MB"
                  + (" (the largest of its processes)" if workers > 1 else ""))
        grown = figures[f"files_{args.files}"]["peak_rss_mb"] - figures[f"files_{first}"]["peak_rss_mb"]
        figures["peak_rss_growth"] = {"from_files": first, "to_files": args.files, "mb": round(grown, 1),
                                      "target_peak_mb": 300}
        print(f"peak RSS grows {grown:.0f} MB from {first} to {args.files} files (target: flat, <= 300 MB)")
    figures["load_average"]["1_min_after"] = round(os.getloadavg()[0], 2)
    if args.quick:
        print("--quick: a smoke test, nothing recorded")
    else:
        record.write("phd08_convert", figures)


if __name__ == "__main__":
    run(main)
