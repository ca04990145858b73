"""Ctrl-C in a training script: one line saying where things stand, not a traceback."""
from __future__ import annotations

import csv
import functools
import sys
from pathlib import Path


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or a stopped Colab cell) during fit, saying where the backup stands."""


def epoch_rows(backup: Path) -> dict[int, dict]:
    """The backup's history.csv, one row per epoch (a resumed epoch's last row counts)."""
    with open(backup / "history.csv", newline="") as f:
        return {int(r["epoch"]): r for r in csv.DictReader(f)}


def finished_epochs(backup: Path) -> int:
    """Epochs whose end the backup's history recorded (a resumed epoch counts once)."""
    try:
        return len(epoch_rows(backup))
    except FileNotFoundError:
        return 0


def interruptible(main):
    """A training script's main, ending on Ctrl-C with one line and status 130, not a traceback."""
    @functools.wraps(main)
    def run(argv=None) -> int:
        try:
            return main(argv)
        except KeyboardInterrupt as e:
            print(str(e) if isinstance(e, TrainingInterrupted) else
                  "interrupted: no model was written; the same command starts again "
                  "(from the last epoch backed up, if any)", file=sys.stderr)
            return 130
    return run
