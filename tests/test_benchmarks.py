"""The benchmarks' own bad-input handling (their figures are in README.md, not asserted here)."""
import importlib.util
import re
import subprocess
import sys

import pytest

from tests.conftest import GA_30, ROOT


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


def test_the_phd08_benchmark_times_whole_processes_and_projects_the_full_phd08_in_a_quick_run():
    recorded = ROOT / "benchmarks" / "results" / "phd08_convert.json"
    before = recorded.read_bytes()
    run = subprocess.run([sys.executable, "benchmarks/phd08_convert.py", "--dump", str(GA_30), "--quick"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "whole processes on 2 copies of 가.txt (30 samples each)" in out
    assert re.search(r"start-up \(a one-sample dump\): ours [\d.]+ s, the original [\d.]+ s", out)
    for key, samples in (("original pattern", 27 * 2), ("every sample", 30 * 2)):
        assert re.search(rf"{key} \({samples} samples\): ours [\d.]+ s, \d+ MB \| the original [\d.]+ s, \d+ MB", out)
        assert re.search(rf"the full PHD08 \(2,350 files, {samples // 2 * 2350:,} samples\), projected: ours [\d.]+ h, "
                         r"[\d,]+ MB \| the original [\d.]+ h, [\d,]+ MB", out)
    assert out.splitlines()[-1] == "--quick: a smoke test, nothing recorded" and recorded.read_bytes() == before
