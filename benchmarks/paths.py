"""Where the benchmarks find the project and the shared data.

Each benchmark runs as `python benchmarks/NAME.py`, which puts this folder
first on sys.path, so `from paths import ROOT, DATA` works from any directory.
Importing this also makes the project importable and quiets TensorFlow's
C++ start-up chatter; `run(main)` is how each benchmark starts.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def run(main) -> None:
    """Runs a benchmark's main: a missing or bad model or data file is one error line, not a traceback."""
    from drawpad.errors import DrawpadError  # light: TensorFlow is not imported until main wants it
    try:
        main()
    except DrawpadError as e:
        raise SystemExit(f"error: {e}") from None
