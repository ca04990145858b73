"""Reading a line: the one place where ink is split into characters and each is read.

The window, the browser page, the notebook widget, `--image --line` and
`Recognizer.recognize_line` all read through here. A reading keeps, for each piece of
the split and in its order, the piece's probabilities over all the labels or the
ImageError that refused it (a smudge: a dot, a blob). Asked for them, it also reads the
other ways the line could be split (drawpad.segment.Split.spans: split here or not), for
a reader that weighs the whole line, such as a beam search with a language model.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from drawpad.canvas import PAPER, draw_strokes
from drawpad.errors import ImageError
from drawpad.predictions import Prediction, ranked
from drawpad.segment import Piece, Segmentation, Split, segment_image, segment_strokes


@dataclass(frozen=True, eq=False)
class PieceReading:
    """One piece of a line as read: `probabilities` over `labels`, or the `error` that
    refused it (then `probabilities` is None). `span`: the units of the split it is."""

    piece: Piece
    span: tuple[int, int]
    labels: list[str]
    probabilities: np.ndarray | None = None
    error: ImageError | None = None

    def guesses(self, count: int, start: int = 0) -> list[Prediction]:
        """Guesses start+1 to start+count, best first ([] for a refused piece)."""
        if self.probabilities is None:
            return []
        return ranked(self.probabilities, self.labels, count, start)


@dataclass(frozen=True, eq=False)
class LineReading:
    """A line as read: `pieces`, the chosen split left to right, each with its result,
    refused pieces included; `split`, how the ink was grouped (its units and every span
    that could be one character); `alternatives`, every one of those spans read (the
    chosen among them) where they were asked for, else empty."""

    pieces: list[PieceReading]
    split: Split
    alternatives: dict[tuple[int, int], PieceReading] = field(default_factory=dict)

    def characters(self) -> list[PieceReading]:
        """The pieces read as characters, left to right: a refused piece is no character.
        ImageError (the first piece's) if no piece is one."""
        read = [p for p in self.pieces if p.error is None]
        if not read:
            raise self.pieces[0].error if self.pieces else ImageError("the image is empty: draw something first")
        return read

    @property
    def text(self) -> str:
        """Each character's best guess, left to right."""
        return "".join(p.guesses(1)[0].label for p in self.pieces if p.error is None)


def read_pieces(rec, pieces: list[Piece], spans: list[tuple[int, int]] | None = None) -> list[PieceReading]:
    """Each piece with its probabilities or its ImageError, in the order given (one batch)."""
    spans = spans or [(k, k + 1) for k in range(len(pieces))]
    results = rec.probabilities_of([p.image for p in pieces])
    return [PieceReading(piece, span, rec.labels, *((None, r) if isinstance(r, ImageError) else (r, None)))
            for piece, span, r in zip(pieces, spans, results)]


def read(rec, segmentation: Segmentation, alternatives: bool = False,
         whole: Callable[[], np.ndarray] | None = None) -> LineReading:
    """Read a split line. `whole` draws the line's whole image, read in place of the piece
    of a span that covers all of it (the pad reads one character from its whole canvas)."""
    split = segmentation.split
    spans = split.spans if alternatives else split.chosen
    everything = (0, len(split.units))
    pieces = [Piece(p.box, whole(), p.strokes) if whole is not None and span == everything else p
              for p, span in ((segmentation.piece(span), span) for span in spans)]
    done = dict(zip(spans, read_pieces(rec, pieces, spans)))
    return LineReading([done[span] for span in split.chosen], split, done if alternatives else {})


def read_line(rec, image: np.ndarray, alternatives: bool = False) -> LineReading:
    """A line image (dark ink on light paper), split by its ink and read. Boxes are in the
    image's pixels. ImageError if there is no ink."""
    return read(rec, segment_image(image, rec.square_script), alternatives)


def read_strokes(rec, strokes, pen: int, size: tuple[int, int], alternatives: bool = False) -> LineReading:
    """The pad's line, split by its pen-down strokes and read; `size`: the canvas's
    (width, height). A line of one character is read from the whole canvas, as a single
    drawing always was. ImageError if there are no strokes."""
    if not strokes:
        raise ImageError("the image is empty: draw something first")
    return read(rec, segment_strokes(strokes, pen, rec.square_script), alternatives,
                lambda: draw_strokes(np.full(size[::-1], PAPER, np.uint8), strokes, pen))
