"""The platform's usual per-user folders: where drawpad keeps conversions (cache) and samples (data)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

# kind: (Windows variable, its usual value under home, macOS folder under home, XDG variable, its default)
PLACES = {"cache": ("LOCALAPPDATA", "AppData/Local", "Library/Caches", "XDG_CACHE_HOME", ".cache"),
          "data": ("APPDATA", "AppData/Roaming", "Library/Application Support", "XDG_DATA_HOME", ".local/share")}


def user_folder(kind: str) -> Path:
    """drawpad's folder of this kind for this user: XDG on Linux, AppData on Windows, Library on macOS."""
    windows, windows_home, mac, xdg, xdg_home = PLACES[kind]
    if sys.platform == "win32":
        base = Path(os.environ.get(windows) or Path.home() / windows_home)
    elif sys.platform == "darwin":
        base = Path.home() / mac
    else:
        base = Path(os.environ.get(xdg) or Path.home() / xdg_home)
    return base / "drawpad"
