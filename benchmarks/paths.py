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
    """Runs a benchmark's main: a missing or bad model or data file is one `error:` line on
    stderr and exit status 2, as argparse and the other commands give a user error (a
    `raise SystemExit("error: ...")` in main too); Ctrl-C is one line and 130."""
    from drawpad.errors import DrawpadError  # light: TensorFlow is not imported until main wants it
    try:
        main()
    except DrawpadError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
    except SystemExit as e:
        if isinstance(e.code, str):  # what Python would print and exit 1 with
            print(e.code, file=sys.stderr)
            raise SystemExit(2) from None
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        raise SystemExit(130) from None
