"""drawpad's one way to write a file: whole or not at all.

The content goes to a temporary name in the file's own folder, is flushed to the
disk, and is then renamed over the file, and the folder is synced so the rename
itself lasts. A reader, a second process or a run killed mid-write (a closed
laptop, a Colab disconnect) sees the old file or the new one, never half of one;
a failed write leaves the old file as it was and no temporary file behind.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Callable

Writer = Callable[[Path], object]


def write_atomically(path: str | Path, content: bytes | Writer, suffix: str = "") -> Path:
    """Put `content` at `path`: bytes, or a function that writes the file it is given
    (a Keras save, a copy). `suffix` ends the temporary name, for writers that choose
    the format by it (Keras wants ".h5", or ".weights.h5"). Returns `path`."""
    path = Path(path)
    fd, tmp = _new_file(path, suffix)
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        else:
            os.close(fd)
            content(tmp)
            with open(tmp, "rb+") as f:  # rb+: Windows syncs only a file open for writing
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:  # Ctrl-C too: no temporary file left behind
        tmp.unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)
    return path


def _new_file(path: Path, suffix: str) -> tuple[int, Path]:
    """A new file of a name no one else has beside `path`, created with the mode any new file
    gets (the umask's; mkstemp's would be private to this user)."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial{suffix}")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue


def _sync_folder(folder: Path) -> None:
    """Make a rename in `folder` last; where a folder cannot be opened (Windows), the rename
    is as lasting as the system makes it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
