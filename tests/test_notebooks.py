"""The Colab notebooks: valid, outputs cleared, and their code path runs on tiny data."""
import json
from pathlib import Path

import pytest

from tests.conftest import MNIST_500, ROOT, STROKES_200

NOTEBOOKS = {"digits": ROOT / "train" / "digits.ipynb", "hangul": ROOT / "train" / "hangul.ipynb"}


def cells(name):
    book = json.loads(NOTEBOOKS[name].read_text(encoding="utf-8"))
    assert book["nbformat"] == 4
    return book["cells"]


def run(name, overrides: dict) -> dict:
    """Execute the code cells in order, without shell lines (! and %), with the
    parameters cell's values replaced by `overrides` (what papermill does)."""
    env = {}
    for cell in cells(name):
        if cell["cell_type"] != "code":
            continue
        code = "".join(line for line in cell["source"] if not line.lstrip().startswith(("!", "%")))
        exec(compile(code, f"{name}.ipynb", "exec"), env)
        if "parameters" in cell["metadata"].get("tags", []):
            env.update(overrides)
    return env


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_valid_with_outputs_cleared(name):
    code = [c for c in cells(name) if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert sum("parameters" in c["metadata"].get("tags", []) for c in code) == 1
    source = "".join("".join(c["source"]) for c in code)
    assert f"from train.{name} import main" in source  # the same code as the command line


def test_digits_notebook_trains_on_tiny_data(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    env = run("digits", {"EPOCHS": 1, "COPIES": 0, "STRATEGY": "default", "MNIST": str(MNIST_500),
                         "STROKES": str(STROKES_200),
                         "EXTRA": ["--limit", "240", "--stroke-writers", "2", "--stroke-copies", "1"]})
    assert Path(env["OUT"]).is_file() and Path(env["OUT"]).parent == Path("drawpad_runs")
    assert "true -> guess" in capsys.readouterr().out
    from drawpad.model_card import read_card
    card = read_card(env["OUT"])  # pen strokes of writers 1 and 2 (half the fixture's 200), replayed once
    assert "+ 100 replays of pendigits writers 1-2" in card["trained_on"] and card["pendigits_writers_seen"] == 2
    assert card["command"].startswith("python -m train.digits --out drawpad_runs/mnist.h5 ")
    pad = env["pad"]  # the last cell: the pad on the model just trained, as a widget (drawpad.notebook)
    assert pad.session.rec.source == env["OUT"] and pad.session.samples == Path("drawpad_runs/samples")
    pad.handle({"id": 1, "action": "stroke", "points": [[200, 60], [200, 340]]})
    reply = pad.handle({"id": 2, "action": "recognize"})
    assert reply["id"] == 2 and len(reply["view"]["characters"][0]["guesses"]) == 3


def test_hangul_notebook_synthesizes_converts_and_trains_on_tiny_data(tmp_path, monkeypatch):
    from data_tools.synth import find_fonts
    fonts = find_fonts()
    if not fonts:
        pytest.skip("no Korean font installed (apt-get install fonts-nanum)")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fonts.txt").write_text(str(fonts[0]) + "\n")
    (tmp_path / "labels.txt").write_text("가\n나\n다\n", encoding="utf-8")
    env = run("hangul", {"FONTS": "fonts.txt", "LABELS": "labels.txt", "PER_FONT": 4, "EPOCHS": 1,
                         "STRATEGY": "default", "WORKERS": 1})
    from drawpad import Recognizer
    rec = Recognizer.from_file(env["OUT"])
    assert rec.labels == ["가", "나", "다"] and rec.spec.size == 60
    assert env["pad"].session.rec.labels == rec.labels  # the last cell: the pad on it
    assert Path("drawpad_runs/preview.png").is_file()
