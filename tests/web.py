"""What the web pad's tests share: real strokes to draw, the server in a subprocess, headless Chromium."""
from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

import numpy as np
import pytest

from tests.conftest import ROOT, STROKES_200

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
# As root on a closed network: no sandbox, and nothing that reaches out (it would hang).
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--window-size=1300,900"]


def digit_strokes(label: str = "7", seed: int = 0) -> list[list[list[int]]]:
    """A real pen's strokes of a digit (pendigits), placed on the pad's canvas as a person would
    draw them there: whole pixels, 400 px square on the left."""
    from data_tools.strokes import load_strokes, place_strokes

    sample = next(s for s in load_strokes(STROKES_200) if s["label"] == label)
    placed, _ = place_strokes(sample, np.random.default_rng(seed), 400, (240, 300), (16, 16))
    return [[[int(round(x)), int(round(y))] for x, y in s] for s in placed]


def straight(a, b, steps=12):
    (x0, y0), (x1, y1) = a, b
    return [[round(x0 + (x1 - x0) * i / steps), round(y0 + (y1 - y0) * i / steps)] for i in range(steps + 1)]


# 가 as tests/test_window.py draws it: ㄱ (across, then down to the left), ㅏ (down, then a tick).
GA = [straight((70, 130), (230, 130)) + straight((230, 130), (170, 380))[1:],
      straight((320, 60), (320, 390)), straight((320, 230), (410, 230))]


class Server:
    """`python run_pad.py --serve` on a free port, until close()."""

    def __init__(self, *args: str):
        self.err = tempfile.TemporaryFile("w+")  # a file, not a pipe: unread, a pipe can fill and block
        self.proc = subprocess.Popen([sys.executable, "run_pad.py", "--serve", "--port", "0", *args], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stdout], daemon=True).start()
        try:
            first = lines.get(timeout=120)
        except queue.Empty:
            first = ""
        if not first.startswith("drawpad serving http://"):
            self.close()
            raise RuntimeError(f"the server did not start: {first!r} {self.stderr()[-500:]}")
        self.url = first.split()[2]
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def stderr(self) -> str:
        self.err.seek(0)
        return self.err.read()

    def close(self) -> int:
        """Stop it as Ctrl+C would; its exit status."""
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(20)
        finally:
            self.proc.stdout.close()


def browser():
    """Headless Chromium through Selenium (chromium and chromium-driver from Debian); skips
    with the reason where they are not installed."""
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("headless Chromium not found: apt-get install chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed: pip install -e .[test]")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="drawpad-chromium-")  # a new empty profile each time
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.profile = profile
    return driver


def close_browser(driver) -> None:
    driver.quit()
    shutil.rmtree(driver.profile, ignore_errors=True)
