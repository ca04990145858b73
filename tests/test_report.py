"""README's figures table is written from benchmarks/results/, never by hand."""
import json
import subprocess
import sys

import numpy as np

from tests.conftest import ROOT


def test_the_readme_figures_are_those_the_benchmarks_wrote():
    run = subprocess.run([sys.executable, "benchmarks/report.py", "--check"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_new_result_changes_the_table(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import report

    (tmp_path / "results").mkdir()
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{report.START}\nold\n{report.END}\nafter\n", encoding="utf-8")
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(report, "README", readme)
    monkeypatch.setattr(sys, "argv", ["report.py", "--check"])
    assert report.main() == 1  # "old" is not what the (missing) results say
    monkeypatch.setattr(sys, "argv", ["report.py"])
    assert report.main() == 0
    text = readme.read_text(encoding="utf-8")
    assert "not measured yet" in text and text.endswith(f"{report.END}\nafter\n")
    figures = {"onnx": {"mnist_test": {"accuracy": 0.9931, "wrong": 69, "of": 10000},
                        "pendigits": {"accuracy": 0.99, "wrong": 75, "of": 7494}},
               "keras": {"mnist_test": {"accuracy": 0.9931, "wrong": 69, "of": 10000},
                         "pendigits": {"accuracy": 0.99, "wrong": 75, "of": 7494}},
               "original_pipeline_pendigits": {"accuracy": 0.4, "wrong": 4496, "of": 7494}}
    (tmp_path / "results" / "pad_accuracy-mnist.json").write_text(json.dumps(
        {"command": "python benchmarks/pad_accuracy.py", "commit": "abc1234", "date": "2026-12-01T10:00:00",
         "cpu": "a CPU", "cores": 2, "figures": figures}), encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["report.py", "--check"])
    assert report.main() == 1
    monkeypatch.setattr(sys, "argv", ["report.py"])
    assert report.main() == 0
    text = readme.read_text(encoding="utf-8")
    assert "99.31% (69 wrong of 10,000) | >= 99.5% (**not met**)" in text
    assert "`python benchmarks/pad_accuracy.py` at abc1234, 2026-12-01" in text


def test_the_footnotes_name_the_library_versions_each_result_was_measured_with(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import record
    import report

    monkeypatch.setattr(report, "RESULTS", tmp_path)
    monkeypatch.setattr(record, "RESULTS", tmp_path)
    monkeypatch.setattr(sys, "argv", ["benchmarks/latency.py"])
    path = record.write("latency-mnist", {})
    mine = json.loads(path.read_text(encoding="utf-8"))["versions"]
    assert set(mine) == {"python", *record.DECIDING} and mine["numpy"] == np.__version__
    older = {**mine, "numpy": "1.26.4"}
    (tmp_path / "latency-hangul.json").write_text(json.dumps(
        {"command": "python benchmarks/latency.py --model hangul", "commit": "abc1234", "date": "2026-12-01T10:00:00",
         "cpu": "a CPU", "cores": 2, "versions": older, "figures": {}}), encoding="utf-8")
    footnotes = report.table().split("\n\n")[1].splitlines()
    assert footnotes[0].endswith(", libraries A (`benchmarks/results/latency-mnist.json`)  ")
    assert footnotes[1].endswith(", libraries B (`benchmarks/results/latency-hangul.json`)  ")
    assert footnotes[2] == "A: " + ", ".join(f"{k} {v}" for k, v in mine.items() if v) + "  "
    assert footnotes[3].startswith("B: ") and "numpy 1.26.4" in footnotes[3]
