"""PHD08 text dumps -> preallocated NumPy arrays (regex-selected, label-safe).

    python -m data_tools.phd08 --data-dir phd08/ --out phd08_60/ \\
        --pattern '[A-Z0-9]+_[0-2]_0_2_1_[0-2]' --preview grid.png

A dump is one file per syllable (named after it, e.g. 가.txt) holding samples:
a name line FO_FS_CP_RE_TH_SL, a line "H W", H rows of W 0/1 characters
(1 = ink), a blank line. A first pass over each file's bytes finds and checks
the selected samples and notes where each starts; a second decodes them from
there into an on-disk array of exactly that size, so memory stays flat. Images go
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


# A dump is read in place, never split into lines. Line ends are those of
# bytes.splitlines() (CRLF, LF or a lone CR) and blanks those of bytes.strip(),
# so every sample is found, and every report names the line, as before.
LINE_END = re.compile(rb"\r\n|\r|\n")
BLANK_LINE = re.compile(rb"[ \t\x0b\x0c]*(?:\r\n|\r|\n|\Z)")
NOT_BLANK = re.compile(rb"[^ \t\n\r\x0b\x0c]")
# A name line and an "H W" line as PHD08 writes them: a shortcut past the general parse.
PHD08_HEADER = re.compile(rb"([!-~]+)\r?\n([0-9]+) ([0-9]+)(\r?\n)")


@dataclass
class Header:
    """A sample's name and "H W" lines, and where its rows start."""
    name: str
    at: int              # byte offset of the name line
    line: int            # 1-based line of the name
    h: int
    w: int
    rows: int            # byte offset of the first row
    row_end: bytes       # the "H W" line's line end, which regular rows share

    @property
    def stride(self) -> int:
        """Bytes a row takes when it is W characters and row_end."""
        return self.w + len(self.row_end)

    @property
    def line_after(self) -> int:
        """The line after the H rows."""
        return self.line + 2 + self.h


def read_samples(path: Path, pattern: re.Pattern | None, report) -> Iterator[Sample]:
    """Samples of one dump whose name fully matches `pattern` (all if None).

    Malformed samples are passed to report(Malformed) and skipped; parsing
    resumes at the next blank line. Non-selected samples are skipped without
    decoding their rows.
    """
    data = read_dump(path, report)
    for head in scan(path, data, pattern, report):
        yield Sample(head.name, head.line, bits_of(path, data, head))


def read_dump(path: Path, report) -> bytes:
    """A dump's bytes; b"" after reporting a file that cannot be read or holds nothing."""
    try:
        data = path.read_bytes()
    except OSError as e:
        report(Malformed(f"{path}: cannot read ({e.strerror or e})"))
        return b""
    if not NOT_BLANK.search(data):
        report(Malformed(f"{path}:1: empty file"))
        return b""
    return data


def scan(path: Path, data: bytes, pattern: re.Pattern | None, report) -> Iterator[Header]:
    """The header of each selected, well-formed sample, in one pass over data.

    A malformed sample is reported and parsing resumes at the next blank line;
    one that is not selected is skipped by its row count, its rows unread.
    """
    starts = line_starts(data) if pattern is not None else None  # only skipping needs them
    pos, line = 0, 1
    while pos < len(data):
        blank = BLANK_LINE.match(data, pos)
        if blank:
            pos, line = blank.end(), line + 1
            continue
        try:
            head = read_header(path, data, pos, line)
        except Malformed as e:
            report(e)
            pos, line = skip_to_blank(data, next_line(data, pos), line + 1)
            continue
        if pattern is not None and not pattern.fullmatch(head.name):
            pos, line = offset_of_line(data, starts, head.line_after), head.line_after
            continue
        try:
            after = check_rows(path, data, head)
        except Malformed as e:
            report(e)
            pos, line = skip_to_blank(data, head.rows, head.line + 2)
            continue
        yield head
        pos, line = after, head.line_after


def sample_at(path: Path, data: bytes, offset: int, line: int) -> Sample:
    """The sample whose name line starts at byte offset (where scan found it)."""
    head = read_header(path, data, offset, line)
    return Sample(head.name, line, bits_of(path, data, head))


def line_starts(data: bytes) -> np.ndarray:
    """Byte offset of every line, in one pass of numpy over the bytes."""
    chars = np.frombuffer(data, np.uint8)
    cr = np.flatnonzero(chars == 13)
    lone_cr = cr[np.take(chars, cr + 1, mode="clip") != 10]  # the last byte clips onto itself
    ends = np.flatnonzero(chars == 10)
    if len(lone_cr):
        ends = np.sort(np.concatenate((ends, lone_cr)))
    return np.concatenate(([0], ends + 1))


def offset_of_line(data: bytes, starts: np.ndarray, line: int) -> int:
    """Byte offset of a 1-based line (starts from line_starts); len(data) past the last."""
    return int(starts[line - 1]) if line <= len(starts) else len(data)


def next_line(data: bytes, pos: int) -> int:
    """Where the line after the one at pos starts (len(data) at the end)."""
    end = LINE_END.search(data, pos)
    return end.end() if end else len(data)


def line_at(data: bytes, pos: int) -> tuple[bytes, bytes, int]:
    """The line at pos: its text, its line end, where the next line starts."""
    end = LINE_END.search(data, pos)
    if end is None:
        return data[pos:], b"", len(data)
    return data[pos:end.start()], end.group(), end.end()


def skip_to_blank(data: bytes, pos: int, line: int) -> tuple[int, int]:
    """(pos, line) of the first blank line from pos on, or of the end."""
    while pos < len(data) and not BLANK_LINE.match(data, pos):
        pos, line = next_line(data, pos), line + 1
    return pos, line


def read_header(path: Path, data: bytes, pos: int, line: int) -> Header:
    """The name line at pos and the "H W" line under it."""
    m = PHD08_HEADER.match(data, pos)
    if m:
        name, hw, row_end, rows = m[1].decode("ascii"), (m[2], m[3]), m[4], m.end()
    else:  # blanks around the name or the numbers, or something wrong
        text, _, after = line_at(data, pos)
        try:
            name = text.strip().decode("ascii")
        except UnicodeDecodeError:
            raise Malformed(f"{path}:{line}: sample name is not ASCII") from None
        if after >= len(data):
            raise Malformed(f"{path}:{line + 1}: file ends after sample name {name!r}")
        size, row_end, rows = line_at(data, after)
        hw = size.split()
        if len(hw) != 2 or not all(x.isdigit() for x in hw):
            raise Malformed(f"{path}:{line + 1}: expected an 'H W' line after sample "
                            f"{name!r}, got {size[:40]!r}")
    h, w = int(hw[0]), int(hw[1])
    if not (0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
        raise Malformed(f"{path}:{line + 1}: bad size {h}x{w}")
    return Header(name, pos, line, h, w, rows, row_end)


def check_rows(path: Path, data: bytes, head: Header) -> int:
    """Where the line after a sample's rows starts, once they pass the original
    parser's checks, in its order: missing rows, a row of the wrong width, a
    row too many, a character not 0 or 1, no ink (raises Malformed)."""
    if is_regular(data, head):  # bytes compared in place, nothing decoded
        after = head.rows + head.h * head.stride
        check_no_extra_row(path, data, head, after)
        inked = data.find(b"1", head.rows, after) >= 0
    else:
        rows, after = rows_one_by_one(path, data, head)
        check_no_extra_row(path, data, head, after)
        inked = decode_rows(path, head, rows).any()
    if not inked:
        raise Malformed(f"{path}:{head.line}: sample {head.name!r} has no ink")
    return after


def bits_of(path: Path, data: bytes, head: Header) -> np.ndarray:
    """The H x W bits (1 = ink) of a sample that passed check_rows."""
    if is_regular(data, head):  # straight from the buffer
        block = np.frombuffer(data, np.uint8, head.h * head.stride, head.rows)
        return block.reshape(head.h, head.stride)[:, :head.w] - 48
    return decode_rows(path, head, rows_one_by_one(path, data, head)[0])


def is_regular(data: bytes, head: Header) -> bool:
    """Whether every row is W 0/1 characters and the "H W" line's line end, as PHD08 writes them."""
    end = head.rows + head.h * head.stride
    if head.row_end not in (b"\n", b"\r\n") or end > len(data):
        return False
    block = data[head.rows:end]
    for k, byte in enumerate(head.row_end):  # each row's line end in its place
        if block[head.w + k::head.stride] != bytes((byte,)) * head.h:
            return False
    return block.translate(None, b"01") == head.row_end * head.h  # and nothing else but 0s and 1s


def check_no_extra_row(path: Path, data: bytes, head: Header, after: int) -> None:
    """Malformed when the line after the rows is more 0s and 1s."""
    if after < len(data) and not BLANK_LINE.match(data, after):
        text = line_at(data, after)[0].strip()
        if set(text) <= {48, 49}:
            raise Malformed(f"{path}:{head.line_after}: sample {head.name!r} has more than {head.h} rows")


def rows_one_by_one(path: Path, data: bytes, head: Header) -> tuple[list[bytes], int]:
    """The H lines under a header, checked for count and width (trailing blanks allowed)."""
    rows, pos = [], head.rows
    while len(rows) < head.h and pos < len(data):
        text, _, pos = line_at(data, pos)
        rows.append(text)
    if len(rows) < head.h:
        raise Malformed(f"{path}:{head.line}: sample {head.name!r} truncated: "
                        f"{len(rows)} of {head.h} rows")
    for k, row in enumerate(rows):
        if len(row.rstrip()) != head.w:
            what = "blank" if not row.strip() else f"{len(row.rstrip())} characters"
            raise Malformed(f"{path}:{head.line + 2 + k}: sample {head.name!r}: row {k + 1} "
                            f"is {what}, expected {head.w}")
    return rows, pos


def decode_rows(path: Path, head: Header, rows: list[bytes]) -> np.ndarray:
    """Rows of W characters (past W, blanks) -> bits; Malformed at the first not 0 or 1."""
    bits = np.frombuffer(b"".join(r[:head.w] for r in rows), np.uint8).reshape(head.h, head.w) - 48
    if bits.max() > 1:
        y, x = np.argwhere(bits > 1)[0]
        raise Malformed(f"{path}:{head.line + 2 + y}: sample {head.name!r}: "
                        f"character {chr(rows[y][x])!r} is not 0 or 1")
    return bits


def syllable_of(path: Path) -> str:
    """The label a dump file stands for: its name, NFC (macOS writes NFD names)."""
    return unicodedata.normalize("NFC", path.stem)


def to_image(bits: np.ndarray, spec: Preprocessing) -> np.ndarray:
    """PHD08 bits (1 = ink) -> model input, via the pad's own preprocessing."""
    return preprocess(np.where(bits > 0, 0, 255).astype(np.uint8), spec)


# -- the two passes ---------------------------------------------------------

def count_file(path: Path, pattern: str | None, strict: bool):
    """-> (where each selected sample starts, [problems]); the first problem raises if strict.

    The samples' places are an (n, 2) int64 array of (byte offset, line) of
    their name lines: small, and all fill_file needs to decode them again.
    """
    problems: list[str] = []

    def report(e: Malformed):
        if strict:
            raise e
        problems.append(str(e))

    compiled = re.compile(pattern) if pattern else None
    data = read_dump(path, report)
    places = [(head.at, head.line) for head in scan(path, data, compiled, report)]
    return np.array(places, np.int64).reshape(-1, 2), problems


def fill_file(path: Path, places: np.ndarray, spec: Preprocessing, images_path: Path, offset: int):
    """Preprocess one file's selected samples, found at places by count_file,
    into rows offset.. of the on-disk array."""
    images = np.load(images_path, mmap_mode="r+")
    try:
        data = path.read_bytes() if len(places) else b""
    except OSError:
        raise RuntimeError(f"{path} changed during the conversion") from None
    names, blank = [], []
    for k, (at, line) in enumerate(places.tolist()):
        try:
            s = sample_at(path, data, at, line)
        except Malformed:
            raise RuntimeError(f"{path} changed during the conversion") from None
        try:
            images[offset + k] = to_image(s.bits, spec)
        except ImageError as e:  # a blob the pad would refuse (no-ink samples never get here)
            images[offset + k] = 0
            blank.append(f"{path}:{s.line}: sample {s.name!r}: {e}")
        names.append((s.name, *s.fields()))
    images.flush()
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

    # Pass 1: find the selected samples, so the array can be preallocated at its exact size.
    problems: list[str] = []
    places = []
    bar = Progress(len(files), "counting: files") if progress else None
    with pool(workers) as executor:
        jobs = [executor.submit(count_file, f, pattern, strict) for f in files]
        for job in jobs:
            found, p = job.result()  # Malformed propagates under --strict
            places.append(found)
            problems += p
            if bar:
                bar.update(1, len(found))
    counts = [len(found) for found in places]
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
        jobs = [executor.submit(fill_file, f, found, spec, tmp / "images.npy", int(o))
                for f, found, o in zip(files, places, offsets)]
        for f, c, job in zip(files, counts, jobs):
            names, blank = job.result()
            problems += blank
            file, label = str(f.relative_to(data_dir)), index[syllable_of(f)]  # once a file, not a sample
            rows += [(file, *n, label) for n in names]
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
