"""The benchmarks' own bad-input handling (their figures are in README.md, not asserted here)."""
import subprocess
import sys

from tests.conftest import ROOT


def test_a_bad_data_file_is_one_error_line_not_a_traceback(tmp_path):
    bad = tmp_path / "strokes.ndjson"
    bad.write_text("{not json\n")
    run = subprocess.run([sys.executable, "benchmarks/pad_accuracy.py", "--strokes", str(bad)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert run.stderr.splitlines()[-1].startswith(f"error: {bad}:1: not a JSON object")
