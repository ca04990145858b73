"""Headless Chromium and `run_pad.py --serve` in their own processes: the browser tests and the
web benchmark drive the browser pad with them, as xvfb.py is the window's virtual screen."""
from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
# As root on a closed network: no sandbox, and nothing that reaches out (it would hang).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1300,900"]


def missing() -> str | None:
    """Why headless Chromium cannot run here, or None."""
    if not (CHROMIUM and CHROMEDRIVER):
        return "headless Chromium not found (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install -e .[test])"
    return None


def chromium():
    """A headless Chromium driven by Selenium, on a new empty profile (removed by quit())."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="drawpad-chromium-")
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    quit_ = driver.quit

    def quit():
        quit_()
        shutil.rmtree(profile, ignore_errors=True)
    driver.quit = quit
    return driver


class PadServer:
    """`python run_pad.py --serve` on a free port, until close(); `url`, `port`, stderr().
    `env`: environment variables to set for it (e.g. its own data folder)."""

    def __init__(self, *args: str, env: dict | None = None):
        self.err = tempfile.TemporaryFile("w+")  # a file, not a pipe: unread, a pipe can fill and block
        self.proc = subprocess.Popen([sys.executable, "run_pad.py", "--serve", "--port", "0", *args], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=self.err, text=True,
                                     env={**os.environ, **(env or {})})
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in self.proc.stdout], daemon=True).start()
        try:
            first = lines.get(timeout=120)
        except queue.Empty:
            first = ""
        if not first.startswith("drawpad serving http://"):
            self.close()
            raise RuntimeError(f"the server did not start: {first.strip() or self.stderr().strip()[-300:]}")
        self.url = first.split()[2]
        self.port = int(self.url.rstrip("/").rsplit(":", 1)[1])

    def stderr(self) -> str:
        self.err.seek(0)
        return self.err.read()

    def close(self) -> int:
        """Stop it as Ctrl+C would; its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(20)
        finally:
            self.proc.stdout.close()
