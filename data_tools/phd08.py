"""PHD08 text dumps -> preallocated NumPy arrays (regex-selected, label-safe).

    python -m data_tools.phd08 --data-dir phd08/ --out phd08_60/ \\
        --pattern '[A-Z0-9]+_[0-2]_0_2_1_[0-2]' --preview grid.png

A dump is one file per syllable (named after it, e.g. 가.txt) holding samples:
a name line FO_FS_CP_RE_TH_SL, a line "H W", H rows of W 0/1 characters
(1 = ink), a blank line. A first pass counts the selected samples; a second
fills an on-disk array of exactly that size, so memory stays flat. Images go
through drawpad's own preprocessing, so training data looks like pad input.
Labels come from the file name's syllable, never from directory order.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from data_tools.parallel import pool
from data_tools.progress import Progress
from drawpad.errors import DrawpadError, ImageError
from drawpad.labels import ksx1001_syllables, read_labels, write_labels
from drawpad.preprocess import HANGUL_SPEC, Preprocessing, preprocess

FIELDS = ("font", "size", "copy", "resolution", "threshold", "slant")
MAX_SIDE = 4096  # a PHD08 sample is well under 200 pixels a side; more is a corrupt header


class Malformed(Exception):
    """A malformed sample or file; str() is 'file:line: what'."""


@dataclass
class Sample:
    name: str
    line: int            # 1-based line of the name in its file
    bits: np.ndarray     # H x W uint8, 1 = ink

    def fields(self) -> list[str]:
        parts = self.name.split("_")
        return parts if len(parts) == len(FIELDS) else [""] * len(FIELDS)


def read_samples(path: Path, pattern: re.Pattern | None, report) -> Iterator[Sample]:
    """Samples of one dump whose name fully matches `pattern` (all if None).

    Malformed samples are passed to report(Malformed) and skipped; parsing
    resumes at the next blank line. Non-selected samples are skipped without
    decoding their rows.
    """
    try:
        lines = path.read_bytes().splitlines()  # CRLF or LF
    except OSError as e:
        report(Malformed(f"{path}: cannot read ({e.strerror or e})"))
        return
    if not any(line.strip() for line in lines):
        report(Malformed(f"{path}:1: empty file"))
        return
    n, i = len(lines), 0

    def resync(j: int) -> int:
        while j < n and lines[j].strip():
            j += 1
        return j

    while i < n:
        name = lines[i].strip()
        if not name:
            i += 1
            continue
        start = i + 1
        try:
            name = name.decode("ascii")
            header = lines[i + 1].split() if i + 1 < n else []
            if len(header) != 2 or not all(h.isdigit() for h in header):
                raise Malformed(f"{path}:{start + 1}: expected an 'H W' line after sample "
                                f"{name!r}, got {lines[i + 1][:40]!r}" if i + 1 < n else
                                f"{path}:{start + 1}: file ends after sample name {name!r}")
            h, w = int(header[0]), int(header[1])
            if not (0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
                raise Malformed(f"{path}:{start + 1}: bad size {h}x{w}")
        except UnicodeDecodeError:
            report(Malformed(f"{path}:{start}: sample name is not ASCII"))
            i = resync(i)
            continue
        except Malformed as e:
            report(e)
            i = resync(i + 1)
            continue
        first_row = i + 2
        rows = lines[first_row:first_row + h]
        i = first_row + h
        if pattern is not None and not pattern.fullmatch(name):
            continue
        try:
            if len(rows) < h:
                raise Malformed(f"{path}:{start}: sample {name!r} truncated: "
                                f"{len(rows)} of {h} rows")
            for k, row in enumerate(rows):
                if len(row.rstrip()) != w:
                    what = "blank" if not row.strip() else f"{len(row.rstrip())} characters"
                    raise Malformed(f"{path}:{start + 2 + k}: sample {name!r}: row {k + 1} "
                                    f"is {what}, expected {w}")
            if i < n and lines[i].strip() and set(lines[i].strip()) <= {48, 49}:
                raise Malformed(f"{path}:{i + 1}: sample {name!r} has more than {h} rows")
            bits = np.frombuffer(b"".join(r[:w] for r in rows), np.uint8).reshape(h, w) - 48
            if bits.max() > 1:
                y, x = np.argwhere(bits > 1)[0]
                raise Malformed(f"{path}:{start + 2 + y}: sample {name!r}: "
                                f"character {chr(bits[y, x] + 48)!r} is not 0 or 1")
            if not bits.any():
                raise Malformed(f"{path}:{start}: sample {name!r} has no ink")
        except Malformed as e:
            report(e)
            i = resync(first_row)  # a short sample's rows end at a blank line before i
            continue
        yield Sample(name, start, bits)


def syllable_of(path: Path) -> str:
    """The label a dump file stands for: its name, NFC (macOS writes NFD names)."""
    return unicodedata.normalize("NFC", path.stem)


def to_image(bits: np.ndarray, spec: Preprocessing) -> np.ndarray:
    """PHD08 bits (1 = ink) -> model input, via the pad's own preprocessing."""
    return preprocess(np.where(bits > 0, 0, 255).astype(np.uint8), spec)


# -- the two passes ---------------------------------------------------------

def count_file(path: Path, pattern: str | None, strict: bool):
    """-> (selected sample count, [problems]); the first problem raises if strict."""
    problems: list[str] = []

    def report(e: Malformed):
        if strict:
            raise e
        problems.append(str(e))

    compiled = re.compile(pattern) if pattern else None
    return sum(1 for _ in read_samples(path, compiled, report)), problems


def fill_file(path: Path, pattern: str | None, spec: Preprocessing, images_path: Path,
              offset: int, count: int):
    """Preprocess one file's selected samples into rows offset.. of the on-disk array."""
    images = np.load(images_path, mmap_mode="r+")
    compiled = re.compile(pattern) if pattern else None
    names, blank = [], []
    for k, s in enumerate(read_samples(path, compiled, lambda e: None)):
        if k == count:
            raise RuntimeError(f"{path} changed during the conversion")
        try:
            images[offset + k] = to_image(s.bits, spec)
        except ImageError as e:  # a blob the pad would refuse (no-ink samples never get here)
            images[offset + k] = 0
            blank.append(f"{path}:{s.line}: sample {s.name!r}: {e}")
        names.append((s.name, *s.fields()))
    images.flush()
    if len(names) != count:
        raise RuntimeError(f"{path} changed during the conversion")
    return names, blank


@dataclass
class Result:
    samples: int
    files: int
    problems: list[str]
    skipped_files: list[str]


def convert(data_dir, out, spec: Preprocessing = HANGUL_SPEC, pattern: str | None = None,
            labels: str = "ksx1001", workers: int = 1, strict: bool = False,
            overwrite: bool = False, progress: bool = True) -> Result:
    data_dir, out = Path(data_dir), Path(out)
    if pattern is not None:
        re.compile(pattern)  # a bad regex fails here, before any work
    if not data_dir.is_dir():
        raise ValueError(f"{data_dir}: no such folder")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{out} exists and is not empty; use --overwrite to replace it")
    files = sorted(data_dir.rglob("*.txt"))
    if not files:
        raise ValueError(f"{data_dir}: no .txt dump files")

    label_list = _label_list(labels, files)
    index = {s: k for k, s in enumerate(label_list)}
    skipped = [f"{f}: {syllable_of(f)!r} is not in the label list; skipped"
               for f in files if syllable_of(f) not in index]
    files = sorted((f for f in files if syllable_of(f) in index),
                   key=lambda f: (index[syllable_of(f)], str(f)))

    # Pass 1: count, so the array can be preallocated at its exact size.
    problems: list[str] = []
    counts = []
    bar = Progress(len(files), "counting: files") if progress else None
    with pool(workers) as executor:
        jobs = [executor.submit(count_file, f, pattern, strict) for f in files]
        for job in jobs:
            c, p = job.result()  # Malformed propagates under --strict
            counts.append(c)
            problems += p
            if bar:
                bar.update(1, c)
    total = sum(counts)

    # Pass 2: fill, under a temporary name; renamed only when complete.
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)  # a leftover of an interrupted run
    tmp.mkdir(parents=True)
    images = np.lib.format.open_memmap(tmp / "images.npy", "w+", np.uint8,
                                       (total, spec.size, spec.size))
    del images
    offsets = np.concatenate([[0], np.cumsum(counts)])
    bar = Progress(len(files), "converting: files") if progress else None
    rows = []
    with pool(workers) as executor:
        jobs = [executor.submit(fill_file, f, pattern, spec, tmp / "images.npy", int(o), c)
                for f, o, c in zip(files, offsets, counts)]
        for f, c, job in zip(files, counts, jobs):
            names, blank = job.result()
            problems += blank
            rows += [(str(f.relative_to(data_dir)), *n, index[syllable_of(f)]) for n in names]
            if bar:
                bar.update(1, c)

    labels_arr = np.array([r[-1] for r in rows], dtype=np.int32)
    np.save(tmp / "labels.npy", labels_arr)
    write_labels(tmp / "labels.txt", label_list)
    with open(tmp / "samples.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("file", "name", *FIELDS, "label"))
        writer.writerows(rows)
    (tmp / "preprocessing.json").write_text(json.dumps(spec.to_dict()) + "\n", encoding="utf-8")
    _replace_dir(tmp, out)
    return Result(total, len(files), problems, skipped)


def _label_list(mode: str, files: list[Path]) -> list[str]:
    if mode == "ksx1001":
        return list(ksx1001_syllables())
    if mode == "present":
        found = {syllable_of(f) for f in files}
        known = [s for s in ksx1001_syllables() if s in found]
        return known + sorted(found - set(known))
    return read_labels(mode)


def _replace_dir(new: Path, out: Path) -> None:
    """Move a finished output into place; an old one is removed only after."""
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_preview(out_dir, png, count: int = 100) -> Path:
    """A grid of converted samples with their labels: what the model will see."""
    from drawpad.text import label_grid

    out_dir = Path(out_dir)
    images = np.load(out_dir / "images.npy", mmap_mode="r")
    labels = np.load(out_dir / "labels.npy")
    names = read_labels(out_dir / "labels.txt")
    pick = np.linspace(0, len(images) - 1, min(count, len(images))).astype(int)
    return label_grid([images[i] for i in pick], [names[labels[i]] for i in pick], png)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m data_tools.phd08", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True, help="folder of PHD08 .txt dumps (searched recursively)")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--size", type=int, default=HANGUL_SPEC.size, help="image side (default %(default)s)")
    ap.add_argument("--pattern", help="keep samples whose name fully matches this regex, e.g. "
                                      "'[A-Z0-9]+_[0-2]_0_2_1_[0-2]' (default: all)")
    ap.add_argument("--labels", default="ksx1001",
                    help="ksx1001 (2,350 syllables in code order), present (those found), "
                         "or a labels file (default %(default)s)")
    ap.add_argument("--workers", type=int, default=1, help="processes (default %(default)s)")
    ap.add_argument("--strict", action="store_true", help="stop at the first malformed sample")
    ap.add_argument("--overwrite", action="store_true", help="replace a finished output folder")
    ap.add_argument("--preview", metavar="PNG", help="also write a grid of converted samples")
    args = ap.parse_args(argv)

    try:
        result = convert(args.data_dir, args.out, HANGUL_SPEC.resized(args.size), args.pattern, args.labels,
                         max(1, args.workers), args.strict, args.overwrite)
    except Malformed as e:
        print(f"error: {e} (--strict)", file=sys.stderr)
        return 2
    except (ValueError, FileExistsError, re.error, DrawpadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing was written to the output folder", file=sys.stderr)
        return 130
    for line in result.skipped_files + result.problems:
        print(f"warning: {line}", file=sys.stderr)
    print(f"wrote {result.samples:,} samples from {result.files} files to {args.out} "
          f"({len(result.problems)} malformed samples skipped, "
          f"{len(result.skipped_files)} files not in the label list)")
    if args.preview:
        print(f"preview: {write_preview(args.out, args.preview)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
