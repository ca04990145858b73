"""Real handwriting -> the arrays the trainers read.

    python -m data_tools.handwriting --data-dir ../shared/data/hangul-hand --out hand/ \\
        [--writers 003 005] [--copies 20] [--replay fonts_data/ --replay-share 0.5]

A folder of labelled handwriting, either with a `labels.tsv` (columns `file`, `label` and
optionally `writer`; ../shared/data/hangul-hand is laid out so) or as `<label>/*.png` (a
user's own, or the pad's saved samples), goes through the pad's own preprocessing into
the layout data_tools.phd08 writes: images.npy (uint8, preallocated), labels.npy,
labels.txt, preprocessing.json, and samples.csv (file, writer, copy, label).

`--copies K` adds K variants of every sample, each written again as another hand might
(`rewrite`: its centre lines redrawn as pen paths, slant, an elastic warp, its jamo moved
against each other, another pen width; `--cursive C` of them as a quick hand writes), so a
few thousand real samples can be seen many times without being learned by heart. `--replay
DATA` appends rows of another converted folder of the same labels (the synthesized fonts),
`--replay-share` of the output, so a model fine-tuned on it keeps reading print. An
unreadable or empty image is reported as `file: what` and its rows are left blank, which
the trainers skip (`--strict`: it stops the run). The output is written under a temporary
name and renamed when complete.
"""
from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from data_tools.distort import affine, elastic, pen_width
from data_tools.parallel import pool
from data_tools.pen import RISE, move_parts, redraw, squeeze_bottom
from data_tools.phd08 import _replace_dir
from data_tools.progress import Progress
from drawpad.errors import DrawpadError, ImageError
from drawpad.image_io import read_image
from drawpad.labels import ksx1001_syllables, read_labels, write_labels
from drawpad.preprocess import HANGUL_SPEC, Preprocessing, preprocess, to_gray

IMAGE_FILES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
SLANT = 0.27        # most slant added, as shear (tan 15 degrees)
TURN = 4            # most rotation, degrees
STRETCH = 0.15      # most change of the aspect ratio (log)
WARP = 0.06         # elastic warp: most displacement, * the ink's size
REDRAW_P = 0.6      # share of variants whose centre lines are redrawn as pen paths
MOVE_P = 0.6        # share whose jamo are moved against each other
CHUNK = 64          # samples a worker job preprocesses


@dataclass(frozen=True)
class Sample:
    file: Path
    label: str
    writer: str


class FolderError(DrawpadError):
    """A folder of handwriting that cannot be read as such (one line, naming the file)."""


def read_folder(folder: str | Path) -> list[Sample]:
    """The labelled images of `folder`: from its labels.tsv, else from <label>/<image> (the
    writer then is the folder's name). Labels are NFC (macOS writes NFD file names)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FolderError(f"{folder}: no such folder")
    tsv = folder / "labels.tsv"
    if tsv.is_file():
        return _read_tsv(folder, tsv)
    samples = [Sample(f, unicodedata.normalize("NFC", sub.name), folder.name)
               for sub in sorted(p for p in folder.iterdir() if p.is_dir())
               for f in sorted(sub.iterdir()) if f.suffix.lower() in IMAGE_FILES]
    if not samples:
        raise FolderError(f"{folder}: no labels.tsv and no <label>/*.png images")
    return samples


def _read_tsv(folder: Path, tsv: Path) -> list[Sample]:
    with open(tsv, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    if not rows or not {"file", "label"} <= set(rows[0]):
        raise FolderError(f"{tsv}:1: the header must name the columns file and label (and writer)")
    col = {name: k for k, name in enumerate(rows[0])}
    samples = []
    for line, row in enumerate(rows[1:], 2):
        if not any(row):
            continue
        if len(row) < len(col):
            raise FolderError(f"{tsv}:{line}: {len(row)} columns, the header has {len(col)}")
        label = unicodedata.normalize("NFC", row[col["label"]].strip())
        if not label:
            raise FolderError(f"{tsv}:{line}: no label")
        writer = row[col["writer"]].strip() if "writer" in col else ""
        samples.append(Sample(folder / row[col["file"]], label, writer))
    return samples


def rewrite(gray: np.ndarray, rng: np.random.Generator, strength: float = 1.0,
            cursive: float = 0.0) -> np.ndarray:
    """Dark ink on light paper -> the same character as another hand might write it,
    dark on light, with room around it: slanted and turned a little, warped, each part
    moved and scaled on its own (MOVE_P), its centre lines redrawn as pen paths with
    wobble, overshoot and hooks (REDRAW_P, data_tools.pen), else a thicker or thinner pen.
    `strength` scales the slant, turn, stretch, warp and how often parts move: 0.5 is the
    same hand writing it again (personalization), 1 another hand. `cursive`: the share
    redrawn as a quick hand writes (data_tools.pen: joined, rounded, rising, squeezed)."""
    ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    x, y, w, h = cv2.boundingRect(ink)
    if w == 0:
        raise ImageError("the image is empty")
    size = max(w, h)
    pad = size // 2  # slant, warps and hooks reach past the box
    work = np.zeros((h + 2 * pad, w + 2 * pad), np.float32)
    work[pad:pad + h, pad:pad + w] = ink[y:y + h, x:x + w] / 255.0
    quick = cursive > 0 and rng.random() < cursive  # drawn only when asked: plain rewrites as before
    if rng.random() < MOVE_P * strength:
        work = move_parts(work, rng, size)
    if quick:
        work = squeeze_bottom(work, rng)
    work = affine(work, rotate_deg=rng.uniform(-TURN, TURN) * strength, shear=rng.uniform(-SLANT, SLANT) * strength,
                  stretch=rng.uniform(-STRETCH, STRETCH) * strength,
                  rise=rng.uniform(0, RISE) * strength if quick else 0.0)
    work = elastic(work, rng, alpha=size * WARP * strength, sigma=size * 0.2)
    if quick or rng.random() < REDRAW_P:
        work = redraw(work, rng, size, cursive=quick)
    else:
        work = pen_width(work, int(rng.integers(-1, 3)) * max(1, size // 60))
    return (255 - np.clip(work, 0, 1) * 255).astype(np.uint8)


def _fill(jobs: list[tuple[str, int, int]], spec: Preprocessing, images_path: Path, seed: int, cursive: float):
    """Preprocess (file, copy, row) jobs into rows of the on-disk array; copy 0 is the sample
    as written, copy k > 0 its k-th rewrite. -> [(row, problem)] of what could not be read."""
    images = np.load(images_path, mmap_mode="r+")
    problems, cache = [], {}
    for file, copy, row in jobs:
        images[row] = 0
        try:
            if file not in cache:  # a file's copies are consecutive jobs
                cache = {file: to_gray(read_image(file))}
        except ImageError as e:  # it names the file
            problems.append((row, str(e)))
            continue
        try:
            gray = rewrite(cache[file], np.random.default_rng([seed, row]), cursive=cursive) if copy else cache[file]
            images[row] = preprocess(gray, spec)
        except ImageError as e:
            problems.append((row, f"{file}: {e}"))
    images.flush()
    return problems


def convert(folder, out, spec: Preprocessing = HANGUL_SPEC, *, labels: list[str] | None = None,
            writers: list[str] | None = None, copies: int = 0, cursive: float = 0.0, replay=None,
            replay_share: float = 0.5, seed: int = 0, workers: int = 1, strict: bool = False,
            progress: bool = True) -> dict:
    """`folder`'s handwriting (of `writers`, all when None) -> `out`, see the module's doc.
    `labels` default: the KS X 1001 syllables. -> a summary (samples, rows, writers, problems)."""
    folder, out = Path(folder), Path(out)
    labels = list(ksx1001_syllables()) if labels is None else labels
    index = {s: k for k, s in enumerate(labels)}
    samples = read_folder(folder)
    if writers:
        missing = sorted(set(writers) - {s.writer for s in samples})
        if missing:
            raise FolderError(f"{folder}: no writer {', '.join(missing)}")
        samples = [s for s in samples if s.writer in writers]
    unknown = sorted({s.label for s in samples} - set(index))
    if unknown:
        raise FolderError(f"{folder}: {len(unknown)} labels are not in the label list, e.g. {unknown[0]!r}")
    if not samples:
        raise FolderError(f"{folder}: no samples")
    if not 0 <= cursive <= 1:
        raise FolderError(f"--cursive must be between 0 and 1, not {cursive}")
    n = len(samples) * (1 + copies)
    replay_rows = _replay_rows(replay, labels, n, replay_share, seed)
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)  # a leftover of an interrupted run
    tmp.mkdir(parents=True)
    try:
        np.lib.format.open_memmap(tmp / "images.npy", "w+", np.uint8, (n + len(replay_rows), spec.size, spec.size))
        jobs = [(str(s.file), c, k * (1 + copies) + c) for k, s in enumerate(samples) for c in range(1 + copies)]
        bar = Progress(-(-len(jobs) // CHUNK), "handwriting: chunks") if progress else None
        bad: list[tuple[int, str]] = []
        with pool(workers) as executor:
            futures = [executor.submit(_fill, jobs[i:i + CHUNK], spec, tmp / "images.npy", seed, cursive)
                       for i in range(0, len(jobs), CHUNK)]
            for i, future in enumerate(futures):
                found = future.result()
                if found and strict:
                    raise FolderError(found[0][1])
                bad += found
                if bar:
                    bar.update(1, min(CHUNK, len(jobs) - i * CHUNK))
        problems = sorted({p for _, p in bad})
        rows = [(str(s.file.relative_to(folder)) if s.file.is_relative_to(folder) else str(s.file),
                 s.writer, c, index[s.label]) for s in samples for c in range(1 + copies)]
        if len(replay_rows):
            _copy_replay(Path(replay), replay_rows, tmp / "images.npy", n)
            replay_labels = np.load(Path(replay) / "labels.npy", mmap_mode="r")[replay_rows]
            rows += [(f"{Path(replay).name}:{r}", "replay", 0, int(label)) for r, label in zip(replay_rows, replay_labels)]
        np.save(tmp / "labels.npy", np.array([r[-1] for r in rows], dtype=np.int32))
        write_labels(tmp / "labels.txt", labels)
        with open(tmp / "samples.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(("file", "writer", "copy", "label"))
            writer.writerows(rows)
        (tmp / "preprocessing.json").write_text(json.dumps(spec.to_dict()) + "\n", encoding="utf-8")
    except BaseException:  # an interrupted or failed run leaves nothing behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _replace_dir(tmp, out)
    return {"samples": len(samples), "rows": len(rows), "replayed": len(replay_rows),
            "writers": sorted({s.writer for s in samples}), "problems": problems}


def _replay_rows(replay, labels: list[str], own: int, share: float, seed: int) -> np.ndarray:
    """Which rows of the converted folder `replay` to append: `share` of the output."""
    if replay is None or share <= 0:
        return np.zeros(0, np.int64)
    replay = Path(replay)
    if not 0 < share < 1:
        raise FolderError(f"--replay-share must be between 0 and 1, not {share}")
    for name in ("images.npy", "labels.npy", "labels.txt"):
        if not (replay / name).is_file():
            raise FolderError(f"{replay / name} is missing: is {replay} the output of data_tools.phd08?")
    if read_labels(replay / "labels.txt") != labels:
        raise FolderError(f"{replay}: its labels.txt is not this data's label list")
    total = len(np.load(replay / "labels.npy", mmap_mode="r"))
    want = min(total, round(own * share / (1 - share)))
    return np.sort(np.random.default_rng([seed, 1]).choice(total, want, replace=False))


def _copy_replay(replay: Path, rows: np.ndarray, images_path: Path, start: int, chunk: int = 8192) -> None:
    source = np.load(replay / "images.npy", mmap_mode="r")
    images = np.load(images_path, mmap_mode="r+")
    if source.shape[1:] != images.shape[1:]:
        raise FolderError(f"{replay}: its images are {source.shape[1]}x{source.shape[2]}, "
                          f"this data's {images.shape[1]}x{images.shape[2]}")
    for i in range(0, len(rows), chunk):
        images[start + i:start + i + chunk] = source[rows[i:i + chunk]]
    images.flush()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m data_tools.handwriting", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True, type=Path, help="folder of labelled handwriting")
    ap.add_argument("--out", required=True, type=Path, help="output folder (replaced when complete)")
    ap.add_argument("--writers", nargs="+", metavar="W", help="only these writers (default: all)")
    ap.add_argument("--copies", type=int, default=0, help="rewritten variants of each sample (default %(default)s)")
    ap.add_argument("--cursive", type=float, default=0.0,
                    help="share of those written as a quick hand writes: joined, rounded, rising, squeezed "
                         "(default %(default)s: on the left-out writers it was within noise, docs/hangul.md)")
    ap.add_argument("--replay", type=Path, metavar="DATA", help="a converted folder of the same labels to mix in")
    ap.add_argument("--replay-share", type=float, default=0.5, help="its share of the output (default %(default)s)")
    ap.add_argument("--labels", default="ksx1001", help="ksx1001 or a labels file (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--strict", action="store_true", help="stop at the first unreadable image")
    args = ap.parse_args(argv)
    try:
        labels = None if args.labels == "ksx1001" else read_labels(args.labels)
        done = convert(args.data_dir, args.out, labels=labels, writers=args.writers, copies=args.copies,
                       cursive=args.cursive,
                       replay=args.replay, replay_share=args.replay_share, seed=args.seed,
                       workers=args.workers, strict=args.strict)
    except (OSError, DrawpadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for problem in done["problems"]:
        print(f"skipped {problem}", file=sys.stderr)
    print(f"wrote {args.out}: {done['samples']} samples of writers {', '.join(done['writers']) or '-'}, "
          f"{done['rows']} rows ({done['replayed']} replayed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
