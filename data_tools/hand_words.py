"""Words in real writers' hands: each syllable cell of one writer set side by side.

    python -m data_tools.hand_words --data-dir ../shared/data/hangul-hand --out hand_words/ -n 50
    python -m data_tools.hand_words --list-words data_tools/everyday_words.txt   # needs wordfreq, hunspell-ko

A writer of ../shared/data/hangul-hand wrote every KS X 1001 syllable once, one to a
cell; a word is that writer's cells of its syllables, each cut to its ink's columns (its
height and place in the cell as written), with an ordinary gap between them: GAP of the
writer's syllable height (the median height of the cells' ink). The images are written
in the layout of hangul-hand itself (PNGs and a labels.tsv with file, label, writer), so
data_tools.handwriting.read_folder reads them.

The words: data_tools/everyday_words.txt, everyday Korean words of 2-4 syllables, those of
the 5,000 most frequent of wordfreq's Korean list (CC-BY-SA-4.0) that are entries of
hunspell-ko's dictionary (MPL-1.1 / GPL-2+ / LGPL-2.1+): the list holds MeCab's
morphemes (에서, 습니다), the dictionary keeps the words. `--list-words` writes it again.
"""
from __future__ import annotations

import argparse
import csv
import shutil
import sys
import unicodedata
import zlib
from pathlib import Path

import cv2
import numpy as np

from data_tools.handwriting import read_folder
from data_tools.phd08 import _replace_dir
from drawpad.atomic import write_atomically
from drawpad.errors import DrawpadError
from drawpad.image_io import read_image
from drawpad.labels import ksx1001_syllables
from drawpad.preprocess import to_gray

GAP = (0.1, 0.4)  # the gap between two syllables, a share of the writer's syllable height
SPECK = 12  # pixels: ink pieces this small (dust on the scan) do not widen a syllable
HUNSPELL_KO = Path("/usr/share/hunspell/ko.dic")
EVERYDAY = Path(__file__).resolve().parent / "everyday_words.txt"
WORDS_HEADER = ("# Everyday Korean words: of the 5,000 most frequent of wordfreq's Korean list (CC-BY-SA-4.0),\n"
                "# those of 2-4 KS X 1001 syllables that hunspell-ko's dictionary has (MPL-1.1 / GPL-2+ / LGPL-2.1+).\n"
                "# Most frequent first. Written by: python -m data_tools.hand_words --list-words THIS_FILE\n")


def ink_extent(gray: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, x1, y0, y1) of a cell's ink (Otsu threshold), leaving out specks of dust."""
    mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)[1]
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    kept = [s for s in stats[1:n] if s[cv2.CC_STAT_AREA] > SPECK] or list(stats[1:n])
    if not kept:
        raise ValueError("a cell without ink")
    x0 = min(s[0] for s in kept)
    y0 = min(s[1] for s in kept)
    x1 = max(s[0] + s[2] for s in kept)
    y1 = max(s[1] + s[3] for s in kept)
    return int(x0), int(x1), int(y0), int(y1)


def hand_word(cells: list[np.ndarray], size: float, rng: np.random.Generator) -> np.ndarray:
    """A writer's syllable cells (gray, dark ink on light paper) side by side: each cut to
    its ink's columns, a gap of GAP x size between them, as tall as the tallest cell."""
    crops = []
    for gray in cells:
        x0, x1, _, _ = ink_extent(gray)
        crops.append(gray[:, x0:x1])
    gaps = [int(round(rng.uniform(*GAP) * size)) for _ in crops[1:]] + [0]
    margin = int(size * 0.3)
    page = np.full((max(c.shape[0] for c in crops), sum(c.shape[1] for c in crops) + sum(gaps) + 2 * margin),
                   255, np.uint8)
    x = margin
    for crop, gap in zip(crops, gaps):
        page[:crop.shape[0], x:x + crop.shape[1]] = crop
        x += crop.shape[1] + gap
    return page


class Writers:
    """The cells of each writer of a hangul-hand folder, read when first wanted."""

    def __init__(self, folder: str | Path):
        self.files: dict[str, dict[str, Path]] = {}
        for s in read_folder(folder):
            self.files.setdefault(s.writer, {})[s.label] = s.file
        self._cells: dict[tuple[str, str], np.ndarray] = {}
        self._sizes: dict[str, float] = {}

    def cell(self, writer: str, label: str) -> np.ndarray:
        if (writer, label) not in self._cells:
            self._cells[writer, label] = to_gray(read_image(self.files[writer][label]))
        return self._cells[writer, label]

    def size(self, writer: str) -> float:
        """The writer's syllable height: the median height of the ink of up to 200 cells."""
        if writer not in self._sizes:
            labels = sorted(self.files[writer])[::max(1, len(self.files[writer]) // 200)]
            extents = [ink_extent(self.cell(writer, label)) for label in labels]
            self._sizes[writer] = float(np.median([y1 - y0 for _, _, y0, y1 in extents]))
        return self._sizes[writer]

    def word(self, writer: str, word: str, rng: np.random.Generator) -> np.ndarray:
        """`word` in `writer`'s hand (KeyError if they wrote no cell of one of its syllables)."""
        return hand_word([self.cell(writer, ch) for ch in word], self.size(writer), rng)

    def can_write(self, writer: str, words: list[str]) -> list[str]:
        """Those of `words` whose every syllable `writer` wrote."""
        return [w for w in words if set(w) <= self.files[writer].keys()]

    def rng(self, writer: str, *seed: int) -> np.random.Generator:
        """A generator of its own for each writer (and seed)."""
        return np.random.default_rng([*seed, zlib.crc32(writer.encode())])


def read_words(path: str | Path = EVERYDAY) -> list[str]:
    """A word list: one word a line, `#` starts a comment line."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [w.strip() for w in lines if w.strip() and not w.startswith("#")]


def everyday_words(top: int = 5000, lengths: tuple[int, int] = (2, 4)) -> list[str]:
    """The words of the `top` most frequent of wordfreq's Korean list that hunspell-ko's
    dictionary has, of KS X 1001 syllables, `lengths` syllables long; most frequent first."""
    try:
        import wordfreq
    except ImportError:
        raise SystemExit("error: wordfreq is not installed: pip install wordfreq") from None
    if not HUNSPELL_KO.is_file():
        raise SystemExit(f"error: {HUNSPELL_KO} not found: apt-get install hunspell-ko")
    syllables = set(ksx1001_syllables())
    with open(HUNSPELL_KO, encoding="utf-8") as fh:  # its words are in decomposed jamo (NFD)
        entries = {unicodedata.normalize("NFC", line.split("/")[0].strip()) for line in fh}
    return [w for w in wordfreq.top_n_list("ko", top)
            if lengths[0] <= len(w) <= lengths[1] and w in entries and set(w) <= syllables]


def write_images(writers: Writers, words: list[str], out: Path, per_writer: int, seed: int) -> int:
    """`per_writer` words (drawn from `words`) of each writer as PNGs in `out`, with its
    labels.tsv; written under a temporary name and renamed when complete."""
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)  # a leftover of an interrupted run
    rows = []
    for writer in sorted(writers.files):
        rng = writers.rng(writer, seed)
        (tmp / writer).mkdir(parents=True, exist_ok=True)
        own = writers.can_write(writer, words)
        for k in rng.choice(len(own), min(per_writer, len(own)), replace=False):
            image = writers.word(writer, own[k], rng)
            name = f"{writer}/{len(rows):05d}.png"
            ok, data = cv2.imencode(".png", image)
            if not ok:
                raise OSError(f"cannot encode {name}")
            (tmp / name).write_bytes(data.tobytes())
            rows.append((name, own[k], writer))
    with open(tmp / "labels.tsv", "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, delimiter="\t").writerows([("file", "label", "writer")] + rows)
    _replace_dir(tmp, out)
    return len(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m data_tools.hand_words", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, help="a hangul-hand folder (labels.tsv with writers)")
    ap.add_argument("--out", type=Path, help="output folder of word images")
    ap.add_argument("-n", type=int, default=50, help="words of each writer (default %(default)s)")
    ap.add_argument("--words", type=Path, default=EVERYDAY, help="word list (default %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--list-words", type=Path, metavar="TXT", help="write the everyday word list here instead")
    args = ap.parse_args(argv)
    try:
        if args.list_words:
            words = everyday_words()
            write_atomically(args.list_words, (WORDS_HEADER + "".join(f"{w}\n" for w in words)).encode("utf-8"))
            print(f"wrote {args.list_words}: {len(words)} words")
            return 0
        if not (args.data_dir and args.out):
            ap.error("--data-dir and --out are needed (or --list-words)")
        count = write_images(Writers(args.data_dir), read_words(args.words), args.out, args.n, args.seed)
    except (OSError, ValueError, DrawpadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130
    print(f"wrote {args.out}: {count} words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
