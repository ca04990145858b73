"""A benchmark's figures as JSON in benchmarks/results/<name>.json (the latest run),
with the command, the commit, the date, the machine and the versions of the libraries
that decide the figures, so that README's figures are written by benchmarks/report.py
from these files, never copied by hand."""
from __future__ import annotations

import datetime
import json
import os
import platform
import shlex
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from drawpad.atomic import write_atomically

RESULTS = Path(__file__).resolve().parent / "results"
# The same code measures differently on another release of these (constraints.txt pins them all).
DECIDING = ("onnxruntime", "opencv-python", "numpy", "tensorflow", "keras", "scikit-image")


def commit() -> str | None:
    """The checkout's commit, "+dirty" when tracked files have changed; None outside git."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def versions() -> dict:
    """Python's version and each DECIDING library's, None where one is not installed."""
    found = {"python": platform.python_version()}
    for name in DECIDING:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = None
    return found


def write(name: str, figures: dict) -> Path:
    """Write the figures of this run as benchmarks/results/<name>.json; returns the path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"benchmark": name,
            "command": shlex.join(["python", os.path.relpath(sys.argv[0], RESULTS.parents[1]), *sys.argv[1:]]),
            "commit": commit(), "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "cpu": cpu(), "cores": os.cpu_count(), "versions": versions(), "figures": figures}
    write_atomically(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"figures written to {path.relative_to(RESULTS.parents[1])}")
    return path
