"""Drive the real pad window under Xvfb with xdotool (shared by the window tests)."""
from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from benchmarks.xvfb import Xvfb

ROOT = Path(__file__).resolve().parents[1]


def require_display_tools() -> None:
    missing = [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
    if missing:
        reason = f"{', '.join(missing)} not installed (apt-get install xvfb xdotool)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the window test: {reason}")
        pytest.skip(reason)


class PadWindow:
    """run_pad.py in a real window; `lines` collects what it prints. `env`: more environment
    variables for it (e.g. its own data folder)."""

    def __init__(self, display: str, *args: str, env: dict | None = None):
        env = {**os.environ, "DISPLAY": display, "PYTHONUNBUFFERED": "1",
               "QT_QPA_FONTDIR": "/usr/share/fonts/truetype/dejavu", **(env or {})}
        self.display = display
        self.proc = subprocess.Popen([sys.executable, "run_pad.py", *args], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.window = self._find_window()
        # the window comes up first and says the model is loading; input counts once it has
        self.startup = [self.next_line("drawpad "), self.next_line("drawpad ready", timeout=120)]

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def xdotool(self, *args: str) -> str:
        run = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": self.display},
                             capture_output=True, text=True, timeout=30)
        return run.stdout.strip()

    def _find_window(self) -> str:
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pad exited: {self.proc.stderr.read()[-2000:]}")
            found = self.xdotool("search", "--name", "^drawpad$")
            if found:
                time.sleep(0.5)  # let the first frame be drawn
                return found.splitlines()[0]
            time.sleep(0.2)
        raise RuntimeError("the pad window did not appear")

    def stroke(self, points) -> None:
        (x, y), rest = points[0], points[1:]
        # to the start first, then down, as a hand does: the press lands where the pad has
        # seen the pointer
        self.xdotool("mousemove", "--window", self.window, str(x), str(y))
        time.sleep(0.05)
        self.xdotool("mousedown", "1")
        for x, y in rest:
            self.xdotool("mousemove", "--window", self.window, str(x), str(y))
            time.sleep(0.01)
        self.xdotool("mouseup", "1")
        time.sleep(0.2)

    def key(self, name: str) -> None:
        self.xdotool("key", "--window", self.window, name)
        # at a person's pace: OpenCV's window keeps only the last key pressed while the
        # pad is busy (recognizing, loading a model), so two quick keys could lose the first
        time.sleep(0.5)

    def next_line(self, startswith: str, timeout: float = 30) -> str:
        deadline = time.time() + timeout
        skipped = []
        while time.time() < deadline:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.time()))
            except queue.Empty:
                break
            if line.startswith(startswith):
                return line
            skipped.append(line)
        raise AssertionError(f"no line starting with {startswith!r} within {timeout} s; "
                             f"the pad printed {skipped}")

    def close(self) -> int:
        if self.proc.poll() is None:
            self.key("q")
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -9


@pytest.fixture
def xvfb():
    require_display_tools()
    server = Xvfb()
    yield server.display
    server.close()
