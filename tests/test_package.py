"""drawpad as a package: where model short names are found, and a real (non-editable) install."""
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from drawpad.cli import list_models
from drawpad.errors import ModelError
from drawpad.model_files import ENV, models_dirs, resolve_model, shipped_dir
from tests.conftest import ROOT, STROKES_200


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A current folder outside the checkout, with no $DRAWPAD_MODELS."""
    monkeypatch.delenv(ENV, raising=False)
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def model_file(folder, name="mnist.h5"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(b"a stand-in: resolving looks at names, not contents")
    return folder / name


def test_short_names_are_found_in_the_env_folders_then_dot_models_then_the_shipped_ones(elsewhere, tmp_path,
                                                                                        monkeypatch):
    assert shipped_dir() == ROOT / "models"  # a checkout (or an editable install): its models/
    assert resolve_model("mnist") == ROOT / "models" / "mnist.h5"
    assert models_dirs() == [ROOT / "models"]

    local = model_file(elsewhere / "models")
    assert resolve_model("mnist") == local
    assert resolve_model("hangul") == ROOT / "models" / "hangul.h5"  # not in ./models: the next folder
    assert resolve_model("mnist.h5") == local

    first, second = tmp_path / "env1", tmp_path / "env2"
    first.mkdir()
    mine = model_file(second, "mine.h5")
    env_mnist = model_file(second)
    monkeypatch.setenv(ENV, os.pathsep.join([str(first), str(second), str(tmp_path / "missing")]))
    assert models_dirs() == [first, second, elsewhere / "models", ROOT / "models"]
    assert resolve_model("mnist") == env_mnist and resolve_model("mine") == mine
    env_first = model_file(first)
    assert resolve_model("mnist") == env_first

    (elsewhere / "mnist").write_bytes(b"a file of that name")  # an existing path wins over every folder
    assert resolve_model("mnist").resolve() == (elsewhere / "mnist").resolve()


def test_an_unknown_name_says_where_it_looked_and_a_path_is_only_a_path(elsewhere):
    model_file(elsewhere / "models", "mine.h5")
    with pytest.raises(ModelError) as e:
        resolve_model("nosuch")
    message = str(e.value)
    assert message.startswith("nosuch: no such model file, and no nosuch.h5 in ")
    assert f"{elsewhere / 'models'}, {ROOT / 'models'} (the shipped models)" in message
    assert "models there: hangul, mine, mnist" in message
    with pytest.raises(ModelError, match=r"^nowhere/mnist.h5: no such model file$"):
        resolve_model("nowhere/mnist.h5")  # a folder in it: not looked up by its name


def test_the_checkout_is_listed_once_when_it_is_the_current_folder(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.chdir(ROOT)
    assert [d.resolve() for d in models_dirs()] == [(ROOT / "models").resolve()]


def test_list_shows_every_folder_in_lookup_order_and_which_model_a_name_finds(elsewhere, capsys):
    model_file(elsewhere / "models")  # not HDF5: listed with its error, and it hides the shipped mnist
    assert list_models() == 0
    lines = capsys.readouterr().out.splitlines()
    headers = [line for line in lines if not line.startswith(" ")]
    assert headers == [f"{elsewhere / 'models'}:", f"{ROOT / 'models'} (the shipped models):"]
    assert lines[1].startswith("  mnist: ") and "not a readable" in lines[1]
    shipped = next(line for line in lines[2:] if line.startswith("  mnist: "))
    assert shipped.startswith("  mnist: mnist.h5, ") and "10 labels" in shipped
    assert shipped.endswith(f"(--model mnist finds the one in {elsewhere / 'models'})")
    assert any(line.startswith("  hangul: hangul.h5, ") and "2350 labels" in line for line in lines)


def digit_png(path, label="7"):
    from data_tools.strokes import load_strokes, replay
    sample = next(s for s in load_strokes(STROKES_200) if s["label"] == label)
    cv2.imwrite(str(path), replay(sample, np.random.default_rng(0)))
    return path


def test_pip_install_gives_a_drawpad_command_that_finds_the_shipped_models_from_any_folder(tmp_path):
    # A copy of the project, so the build's own files (build/, *.egg-info) stay out of the checkout.
    src = tmp_path / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.partial.h5")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for name in ("drawpad", "data_tools", "train", "models"):
        shutil.copytree(ROOT / name, src / name, ignore=ignore)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python, command = venv / "bin" / "python", venv / "bin" / "drawpad"
    package = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages" / "drawpad"
    # The dependencies (and pip, and setuptools to build with) are this Python's, only drawpad is new: its
    # package folders go on the new venv's path. Not --system-site-packages: from inside a venv, that
    # would give the base Python's packages, which a new venv's user may not have.
    (package.parent / "this-python.pth").write_text(
        "".join(f"{p}\n" for p in sys.path if p.endswith(("site-packages", "dist-packages"))))
    pip = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                          "--no-index", str(src)], capture_output=True, text=True, timeout=300)
    assert pip.returncode == 0, pip.stderr
    shutil.rmtree(src)  # nothing may point back at the copy, or at the checkout

    away = tmp_path / "away"
    away.mkdir()
    png = digit_png(away / "seven.png")
    env = {k: v for k, v in os.environ.items() if k not in (ENV, "PYTHONPATH")}

    def run(*args):
        return subprocess.run(args, cwd=away, env=env, capture_output=True, text=True, timeout=300)
    where = run(python, "-c", "import drawpad.model_files as m; print(m.__file__); print(m.shipped_dir())")
    assert where.stdout.splitlines() == [str(package / "model_files.py"), str(package / "models")], where
    shipped = {p.name for p in (ROOT / "models").iterdir()
               if p.suffix in (".h5", ".onnx") or p.name.endswith((".labels.txt", ".replay.npz"))}
    assert {"mnist.h5", "mnist.onnx", "hangul.h5", "hangul.onnx", "hangul.replay.npz"} <= shipped
    assert {p.name for p in (package / "models").iterdir()} == shipped
    assert {p.name for p in (package / "web").iterdir()} == {"index.html", "pad.js", "pad.css"}  # drawpad serve's page
    assert (package / "korean_lm.npz").is_file()  # drawpad.language's model, read from inside the package
    words = package.parent / "data_tools" / "everyday_words.txt"  # data_tools.hand_words's default words
    assert words.read_text(encoding="utf-8") == (ROOT / "data_tools" / "everyday_words.txt").read_text(encoding="utf-8")

    recognized = run(command, "--image", png.name, "--json")
    assert recognized.returncode == 0, recognized.stderr
    assert json.loads(recognized.stdout)["predictions"][0]["label"] == "7"
    listed = run(python, "-m", "drawpad", "--list")
    assert listed.returncode == 0 and listed.stdout.startswith(f"{package / 'models'} (the shipped models):")
