"""A virtual X display (Xvfb) for the real pad window: the window tests and the
start-up benchmark run the pad on one where there is no screen."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path


class Xvfb:
    def __init__(self):
        for n in range(99, 140):
            if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
                break
        self.display = f":{n}"
        # -noreset: by default Xvfb resets when its last client leaves, and a short client (xdotool,
        # the pad's display check) leaving just before the pad connects made the pad fail to connect
        self.proc = subprocess.Popen(["Xvfb", self.display, "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                                      "-noreset"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 20
        while not Path(f"/tmp/.X11-unix/X{n}").exists():
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError("Xvfb did not start")
            time.sleep(0.1)

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)
