import json
import subprocess
import sys

import cv2
import numpy as np

from drawpad.cli import main
from tests.conftest import DIGIT_MODEL, ROOT, need, save_tiny_model, stroke_image

ONE = [[(200, 60), (200, 340)]]


def write_png(path, strokes):
    cv2.imwrite(str(path), stroke_image(strokes))
    return path


def test_headless_json_one_object_per_image_and_bad_files_named(tmp_path, capsys):
    model = save_tiny_model(tmp_path / "m.h5")
    a = write_png(tmp_path / "a.png", ONE)
    b = write_png(tmp_path / "b.png", [[(100, 100), (300, 100), (150, 330)]])
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((50, 50), 255, np.uint8))
    code = main(["--model", str(model), "--image", str(a), str(tmp_path / "missing.png"),
                 str(junk), str(blank), str(b), "--json", "--top", "2"])
    out, err = capsys.readouterr()
    assert code != 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["file"] for r in rows] == [str(a), str(b)]
    assert all(len(r["predictions"]) == 2 for r in rows)
    assert set(rows[0]["predictions"][0]) == {"label", "probability"}
    # besides the first run's one line saying it converts the model for ONNX Runtime
    errors = [e for e in err.strip().splitlines() if not e.startswith("drawpad: converting m.h5")]
    assert len(errors) == 3 and all(e.startswith("error: ") for e in errors), err
    assert "missing.png" in errors[0] and "junk.png" in errors[1] and "blank.png" in errors[2]
    assert "Traceback" not in err


def test_missing_and_corrupt_models_are_one_line(tmp_path, capsys):
    assert main(["--model", "nosuchmodel", "--image", "x.png"]) == 2
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert main(["--model", str(tmp_path / "bad.h5"), "--image", "x.png"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert "nosuchmodel" in err[0] and "shipped models" in err[0]
    assert "bad.h5" in err[1]


def test_shipped_model_reads_a_drawn_digit_from_the_command_line(tmp_path):
    need(DIGIT_MODEL)
    png = write_png(tmp_path / "one.png", ONE)
    run = subprocess.run([sys.executable, "run_pad.py", "--image", str(png), "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    row = json.loads(run.stdout.strip())
    assert row["predictions"][0]["label"] == "1"
    assert "Traceback" not in run.stderr


def test_a_thin_stroke_on_a_big_image_is_answered_and_a_blank_one_is_one_error_line(tmp_path, capsys):
    need(DIGIT_MODEL)
    one = write_png(tmp_path / "one.png", ONE)
    thin = np.full((1500, 1500), 255, np.uint8)
    cv2.line(thin, (700, 200), (800, 1300), 0, 1)  # a "1" drawn 1 px wide: 1/18 px once shrunk
    cv2.imwrite(str(tmp_path / "thin.png"), thin)
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((1500, 1500), 255, np.uint8))
    code = main(["--model", str(DIGIT_MODEL), "--image", str(one), str(tmp_path / "thin.png"),
                 str(tmp_path / "blank.png"), "--top", "1"])
    out, err = capsys.readouterr()
    assert code == 1
    assert [line.rsplit(" ", 1)[0] for line in out.splitlines()] == [f"{one}: 1", f"{tmp_path / 'thin.png'}: 1"]
    errors = [line for line in err.splitlines() if not line.startswith("drawpad: ")]  # converting it
    assert errors == [f"error: {tmp_path / 'blank.png'}: the image is empty: draw something first"]


def test_help_lists_the_keys():
    run = subprocess.run([sys.executable, "run_pad.py", "--help"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and "--image" in run.stdout and "SPACE" in run.stdout


def test_serve_refuses_a_bad_port_or_model_in_one_line(capsys):
    assert main(["serve", "--port", "99999"]) == 2
    assert main(["serve", "--model", "nosuchmodel"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == "error: --port must be 0 (any free one) to 65535"
    assert err[1].startswith("error: nosuchmodel: no such model file") and len(err) == 2
