"""The benchmarks' own bad-input handling (their figures are in README.md, not asserted here)."""
import importlib.util
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def paths_module():
    spec = importlib.util.spec_from_file_location("benchmark_paths", ROOT / "benchmarks" / "paths.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_bad_data_file_is_one_error_line_not_a_traceback(tmp_path):
    bad = tmp_path / "strokes.ndjson"
    bad.write_text("{not json\n")
    run = subprocess.run([sys.executable, "benchmarks/pad_accuracy.py", "--strokes", str(bad)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2 and "Traceback" not in run.stderr  # argparse's status for a user error
    assert run.stderr.splitlines()[-1].startswith(f"error: {bad}:1: not a JSON object")


def test_every_way_a_benchmark_stops_on_a_user_error_is_status_2_and_ctrl_c_130(capsys):
    from drawpad.errors import ModelError
    run = paths_module().run

    def raising(error):
        def main():
            raise error
        return main
    for error, line in [(ModelError("m.h5: no such model file"), "error: m.h5: no such model file"),
                        (SystemExit("error: no held-out fonts"), "error: no held-out fonts")]:
        with pytest.raises(SystemExit) as stop:
            run(raising(error))
        assert stop.value.code == 2 and capsys.readouterr().err.splitlines() == [line]
    with pytest.raises(SystemExit) as stop:
        run(raising(KeyboardInterrupt()))
    assert stop.value.code == 130 and capsys.readouterr().err == "interrupted\n"
    with pytest.raises(SystemExit) as stop:
        run(raising(SystemExit(0)))  # a benchmark's own status passes through
    assert stop.value.code == 0
