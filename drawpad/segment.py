"""A line of ink -> its characters, left to right.

The pieces are connected ink (from an image) or pen-down strokes (in the pad).
Every size here is relative to the line's own character size (character_size: the
median height of its tall pieces), so small and large writing split alike:
1. pieces that overlap horizontally belong together (the bar of a crossed 7, a
   syllable's final consonant under its vowel, jamo written over each other);
2. a piece much smaller than a character (a detached short stroke of ㅏ, a dot)
   belongs to its nearest neighbour, never to a character of its own;
3. digits and other narrow scripts: every gap that remains splits. In a square
   script (Hangul) a syllable's jamo may stand side by side with a gap between
   them (이, 바, 뭐), and a font's gap between ㄱ and ㅏ can be wider than the gap
   between two syllables: neighbours join where the character they make is about as
   wide as a syllable (join_square).
Characters that touch (no gap at all) stay one character: their ink is one piece.
"""
from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from functools import reduce
from typing import Callable

import cv2
import numpy as np

from drawpad.canvas import PAPER, draw_strokes
from drawpad.preprocess import ink_region, working_gray

# A piece whose larger side is under this fraction of the character size is part of a neighbour.
SMALL = 0.35
# Square scripts: neighbours join across a gap under this fraction of the character size...
JOIN_GAP = 0.4
# ...when the character they make is at most this wide...
MAX_WIDTH = 1.25
# ...and, among the splits with the fewest characters, the one whose characters are
# nearest this width wins (a Hangul syllable is about square; 이 is narrower, 봐 wider).
TYPICAL_WIDTH = 0.85
# The other ways to split a square script that a reader of the whole line weighs
# (drawpad.beam_search): joins across gaps up to ALTERNATIVE_GAP, up to ALTERNATIVE_WIDTH
# wide. Real writers part a syllable's jamo further than fonts do (파 as ㅍ and ㅏ apart)
# and write some wide (빠 as ㅂ, ㅂ and ㅏ side by side: 2.1 sizes).
ALTERNATIVE_GAP = 0.8
ALTERNATIVE_WIDTH = 2.2
# How unlike one character a span of those alternatives looks (span_doubt), in log-odds per
# character size: narrower than NARROW (a vowel or a consonant written apart), wider than
# WIDE (two syllables; ㅃ written as two ㅂ is wide too, so less steep), the gaps it joins
# (a syllable's jamo sit closer than syllables), shorter than SHORT (a consonant beside its
# vowel). Fitted on the spans of the real writers' words (docs/language.md); the beam
# search weighs it with its SPLIT_WEIGHT.
NARROW = (0.8, 5.0)  # (width in sizes, log-odds per size narrower)
WIDE = (0.9, 1.0)
JOINED_GAP = 12.0
SHORT = (0.85, 9.0)


@dataclass(frozen=True)
class Box:
    """Ink extent, in pixels: x0 <= x < x1, y0 <= y < y1."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def __or__(self, other: "Box") -> "Box":
        return Box(min(self.x0, other.x0), min(self.y0, other.y0), max(self.x1, other.x1), max(self.y1, other.y1))


@dataclass(frozen=True)
class Piece:
    """One character of a line: where it is, its ink alone (dark on light paper), and
    its pen-down strokes where the line was split from strokes (else None)."""

    box: Box
    image: np.ndarray
    strokes: list | None = None


def overlap(a: Box, b: Box) -> int:
    return min(a.x1, b.x1) - max(a.x0, b.x0)


@dataclass(frozen=True)
class Split:
    """How a line's pieces of ink (or strokes) group into characters.

    `units`: indices of the pieces that always go together (steps 1 and 2), left to right.
    `chosen`: the split, as spans (start, end) of units, covering them all left to right.
    `spans`: every span that could be one character (each unit alone, and the joins a square
    script allows: gaps under JOIN_GAP and at most MAX_WIDTH wide, and for the alternatives
    up to ALTERNATIVE_GAP and ALTERNATIVE_WIDTH), the chosen ones among them; where a split
    is uncertain, the alternatives a reader of the whole line weighs."""

    units: list[list[int]]
    extents: list[Box]
    chosen: list[tuple[int, int]]
    spans: list[tuple[int, int]]

    def members(self, span: tuple[int, int]) -> list[int]:
        """The pieces of a span of units."""
        return [i for unit in self.units[span[0]:span[1]] for i in unit]


def split(boxes: list[Box], square: bool) -> Split:
    """The split of pieces of ink, one Box each (see the module's steps)."""
    if not boxes:
        return Split([], [], [], [])
    order = sorted(range(len(boxes)), key=lambda i: boxes[i].x0)
    chars: list[list[int]] = []
    extents: list[Box] = []
    for i in order:  # 1. horizontal overlap joins (sorted by x0: only the last one can overlap)
        b = boxes[i]
        if extents and overlap(extents[-1], b) > 0:
            chars[-1].append(i)
            extents[-1] = extents[-1] | b
        else:
            chars.append([i])
            extents.append(b)
    size = character_size(extents)
    k = 0
    while k < len(chars) and len(chars) > 1:  # 2. small pieces join their nearest neighbour
        if max(extents[k].width, extents[k].height) >= SMALL * size:
            k += 1
            continue
        left = extents[k].x0 - extents[k - 1].x1 if k > 0 else np.inf
        right = extents[k + 1].x0 - extents[k].x1 if k + 1 < len(chars) else np.inf
        j = k - 1 if left <= right else k + 1
        lo, hi = min(j, k), max(j, k)
        chars[lo:hi + 1] = [chars[lo] + chars[hi]]
        extents[lo:hi + 1] = [extents[lo] | extents[hi]]
        k = lo
    units = [sorted(c, key=lambda i: boxes[i].x0) for c in chars]
    spans = joinable(extents, size)
    if not square:
        return Split(units, extents, [(k, k + 1) for k in range(len(units))], spans)
    return Split(units, extents, join_square(extents, size, spans),
                 joinable(extents, size, ALTERNATIVE_GAP, ALTERNATIVE_WIDTH))


def joinable(extents: list[Box], size: float, gap: float = JOIN_GAP,
             widest: float = MAX_WIDTH) -> list[tuple[int, int]]:
    """Every span of units that could be one character: each unit, and neighbours across
    gaps under gap x size making a character at most widest x size wide."""
    spans = []
    for i in range(len(extents)):
        for j in range(i + 1, len(extents) + 1):
            width = extents[j - 1].x1 - extents[i].x0
            if j > i + 1 and (width > widest * size or extents[j - 1].x0 - extents[j - 2].x1 > gap * size):
                break  # joining further right only gets wider
            spans.append((i, j))
    return spans


def character_size(extents: list[Box]) -> float:
    """The line's character size: the median height of its pieces that are at least 3/4 of
    the tallest (digits differ a little in height; a Hangul syllable's vowel or the whole
    syllable is about its height, a lone consonant beside its vowel less)."""
    heights = np.array([e.height for e in extents], np.float64)
    return float(np.median(heights[heights >= 0.75 * heights.max()]))


def _width_and_gaps(extents: list[Box], span: tuple[int, int]) -> tuple[float, float]:
    """The units of `span` side by side: their width, and the gaps between them, summed (px)."""
    i, j = span
    return (extents[j - 1].x1 - extents[i].x0,
            sum(max(extents[k + 1].x0 - extents[k].x1, 0) for k in range(i, j - 1)))


def span_cost(extents: list[Box], size: float, span: tuple[int, int]) -> float:
    """Square scripts: what making the units of `span` one character costs: 1, plus how far
    its width is from TYPICAL_WIDTH (so 이이 is [이][이], not [이ㅇ][ㅣ]), plus the gaps it
    joins (the smaller joined, the better)."""
    width, gaps = _width_and_gaps(extents, span)
    return 1 + 2 * abs(width / size - TYPICAL_WIDTH) + gaps / (JOIN_GAP * size) * 0.5


def span_doubt(extents: list[Box], size: float, span: tuple[int, int]) -> float:
    """Square scripts, read with the alternatives: how unlike one character the units of
    `span` look (0: a syllable's shape; see NARROW, WIDE, JOINED_GAP, SHORT)."""
    i, j = span
    width, gaps = (v / size for v in _width_and_gaps(extents, span))
    height = (max(e.y1 for e in extents[i:j]) - min(e.y0 for e in extents[i:j])) / size
    return (NARROW[1] * max(NARROW[0] - width, 0) + WIDE[1] * max(width - WIDE[0], 0)
            + JOINED_GAP * gaps + SHORT[1] * max(SHORT[0] - height, 0))


def join_square(extents: list[Box], size: float, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Square scripts: where to split, by dynamic programming over the joinable spans: the
    split whose characters cost least in all (span_cost)."""
    n = len(extents)
    best = [(0.0, 0)] + [(np.inf, 0)] * n  # best[j]: (cost of units[:j], where its last character starts)
    for i, j in sorted(spans, key=lambda s: (s[1], -s[0])):
        cost = best[i][0] + span_cost(extents, size, (i, j))
        if cost < best[j][0]:
            best[j] = (cost, i)
    out, j = [], n
    while j > 0:
        i = best[j][1]
        out.append((i, j))
        j = i
    return out[::-1]


@dataclass(frozen=True)
class Segmentation:
    """A line split into characters (`split`), with what draws the Piece of any of its spans."""

    split: Split
    draw: Callable[[list[int]], Piece]

    def piece(self, span: tuple[int, int]) -> Piece:
        return self.draw(self.split.members(span))

    def chosen(self) -> list[Piece]:
        return [self.piece(span) for span in self.split.chosen]


def pieces_of_image(image: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[Box]]:
    """(gray image as the ink was found in it, component labels over it, one Box per
    connected piece of ink in that gray image), with the preprocessing's own binarization."""
    gray = working_gray(image)
    mask, left, top = ink_region(gray)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    full = np.zeros(gray.shape, labels.dtype)
    full[top:top + mask.shape[0], left:left + mask.shape[1]] = labels
    boxes = [Box(int(x + left), int(y + top), int(x + left + w), int(y + top + h)) for x, y, w, h, _ in stats[1:n]]
    return gray, full, boxes


def segment_image(image: np.ndarray, square: bool) -> Segmentation:
    """A line image split into characters. ImageError if there is no ink. The ink is found
    in a shrunken copy of a large image; the pieces' boxes are in the image's own pixels."""
    gray, labels, boxes = pieces_of_image(image)
    sx, sy = image.shape[1] / gray.shape[1], image.shape[0] / gray.shape[0]

    def draw(members: list[int]) -> Piece:
        box = union(boxes, members)
        own = np.isin(labels[box.y0:box.y1, box.x0:box.x1], [m + 1 for m in members])
        # the ink's soft edge is lighter than the mask's threshold: keep a pixel around it
        own = cv2.dilate(own.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        crop = np.where(own, gray[box.y0:box.y1, box.x0:box.x1], PAPER).astype(np.uint8)
        where = Box(int(box.x0 * sx), int(box.y0 * sy), min(image.shape[1], math.ceil(box.x1 * sx)),
                    min(image.shape[0], math.ceil(box.y1 * sy)))
        return Piece(where, cv2.copyMakeBorder(crop, 4, 4, 4, 4, cv2.BORDER_CONSTANT, value=PAPER))
    return Segmentation(split(boxes, square), draw)


def segment_strokes(strokes, pen: int, square: bool) -> Segmentation:
    """The pad's line split into characters by its pen-down strokes (each with the pen's
    width around it), so that strokes which touch the next character's still split."""
    r = max(1, round(pen / 2))
    boxes = []
    for s in strokes:
        pts = np.asarray(s, np.float64).reshape(-1, 2)
        lo, hi = pts.min(0), pts.max(0)
        boxes.append(Box(int(lo[0]) - r, int(lo[1]) - r, int(hi[0]) + r + 1, int(hi[1]) + r + 1))

    def draw(members: list[int]) -> Piece:
        box = union(boxes, members)
        own = [strokes[i] for i in sorted(members)]  # in the order drawn
        shifted = [[(x - box.x0 + 4, y - box.y0 + 4) for x, y in s] for s in own]
        paper = np.full((box.height + 8, box.width + 8), PAPER, np.uint8)
        return Piece(box, draw_strokes(paper, shifted, pen), own)
    return Segmentation(split(boxes, square), draw)


def union(boxes: list[Box], members: list[int]) -> Box:
    return reduce(operator.or_, (boxes[m] for m in members))
