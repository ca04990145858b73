"""Where the benchmarks find the project and the shared data.

Each benchmark runs as `python benchmarks/NAME.py`, which puts this folder
first on sys.path, so `from paths import ROOT, DATA` works from any directory.
Importing this also makes the project importable and quiets TensorFlow's
C++ start-up chatter.
"""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
