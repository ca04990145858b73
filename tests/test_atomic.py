"""drawpad.atomic: a file is written whole or not at all, and stays written."""
import os
import stat
from pathlib import Path

import pytest

from drawpad.atomic import write_atomically


def test_bytes_replace_the_file_with_the_mode_a_new_file_gets(tmp_path):
    path = tmp_path / "m.onnx"
    path.write_bytes(b"old")
    assert write_atomically(path, b"new") == path
    assert path.read_bytes() == b"new"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask  # not private to this user, as mkstemp's are
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_a_writer_gets_a_new_name_in_the_same_folder_ending_in_the_suffix(tmp_path):
    given = []

    def writer(tmp):
        given.append(tmp)
        tmp.write_bytes(b"weights")
    write_atomically(tmp_path / "best.weights.h5", writer, suffix=".weights.h5")
    (tmp,) = given
    assert tmp.parent == tmp_path and tmp.name.startswith(".best.weights.h5.") and tmp.name.endswith(".weights.h5")
    assert (tmp_path / "best.weights.h5").read_bytes() == b"weights" and not tmp.exists()


@pytest.mark.parametrize("error", [KeyboardInterrupt, OSError])
def test_a_write_cut_off_midway_leaves_the_old_file_and_no_temporary_one(tmp_path, error):
    path = tmp_path / "stages.json"
    path.write_bytes(b'{"done": true}')

    def half(tmp):
        tmp.write_bytes(b'{"do')
        raise error
    with pytest.raises(error):
        write_atomically(path, half)
    assert path.read_bytes() == b'{"done": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["stages.json"]


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names an open file through /proc")
def test_the_data_is_on_disk_before_the_rename_and_the_rename_after(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        real_fsync(fd)

    def replace(src, dst):
        events.append(("replace", str(dst)))
        real_replace(src, dst)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    for content in (b"data", lambda tmp: tmp.write_bytes(b"data")):
        events.clear()
        write_atomically(tmp_path / "a.png", content)
        assert [kind for kind, _ in events] == ["fsync", "replace", "fsync"]
        assert Path(events[0][1]).parent == tmp_path and events[0][1].endswith(".partial")  # the file, renamed
        assert events[1][1] == str(tmp_path / "a.png") and events[2][1] == str(tmp_path)  # then its folder
