"""Progress on long work: files done, samples/s, time left (to stderr, at most once a second)."""
from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds // 60 % 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    def __init__(self, total_files: int, what: str = "files", stream=None, every: float = 1.0):
        # sys.stderr as it is now, not as it was when this module was imported (a test's capture)
        self.total, self.what, self.stream, self.every = total_files, what, stream or sys.stderr, every
        self.files = self.samples = 0
        self.start = self._last = time.monotonic()

    def update(self, files: int = 1, samples: int = 0) -> None:
        self.files += files
        self.samples += samples
        now = time.monotonic()
        if now - self._last >= self.every or self.files == self.total:
            self._last = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.start, 1e-9)
        left = elapsed / self.files * (self.total - self.files) if self.files else 0
        return (f"{self.what} {self.files}/{self.total}, {self.samples:,} samples, "
                f"{self.samples / elapsed:,.0f} samples/s, {_clock(elapsed)} elapsed, "
                f"~{_clock(left)} left")
