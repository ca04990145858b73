"""Where a model's short name is looked up: `--model mnist` is the first `mnist.h5` in
models_dirs(), which are, in this order:

1. the folders in $DRAWPAD_MODELS (several: separated by os.pathsep, ":" on Linux),
2. ./models in the current folder,
3. the personal models the pad learned (personal_dir(): <data folder>/models),
4. the models shipped with drawpad: installed inside the package by `pip install .`;
   in a checkout or an editable install, the checkout's models/.

A name that is an existing file, or has a folder in it, is a path and nothing else.
"""
from __future__ import annotations

import os
from pathlib import Path

from drawpad.errors import ModelError
from drawpad.user_folders import user_folder

ENV = "DRAWPAD_MODELS"


def shipped_dir() -> Path:
    """The models that came with drawpad."""
    package = Path(__file__).resolve().parent
    installed = package / "models"  # pip install . (pyproject maps models/ to drawpad.models)
    return installed if installed.is_dir() else package.parent / "models"


def personal_dir() -> Path:
    """Where the pad keeps the personal models it learned (drawpad.learner)."""
    return user_folder("data") / "models"


def models_dirs() -> list[Path]:
    """The existing model folders, in lookup order, each once."""
    candidates = [Path(p).absolute() for p in os.environ.get(ENV, "").split(os.pathsep) if p]
    candidates += [Path.cwd() / "models", personal_dir(), shipped_dir()]
    found, seen = [], set()
    for folder in candidates:
        key = folder.resolve()
        if folder.is_dir() and key not in seen:
            seen.add(key)
            found.append(folder)
    return found


def listed_models() -> dict[str, Path]:
    """The models a short name finds, as `--list` shows them: each name's first .h5 in
    models_dirs(), by name, in lookup order."""
    found: dict[str, Path] = {}
    for folder in models_dirs():
        for path in sorted(p for p in folder.glob("*.h5") if not p.name.startswith(".")):  # not a temporary
            if path.is_file():
                found.setdefault(path.stem, path)
    return found


def resolve_model(name: str | Path) -> Path:
    """A path to a model file, or the short name of one in models_dirs() ("mnist", "hangul")."""
    path = Path(name)
    if path.is_file():
        return path
    if path.name != str(name):  # a path, not a short name
        raise ModelError(f"{name}: no such model file")
    listed = listed_models()
    stem = path.stem if path.suffix == ".h5" else path.name
    if stem in listed:
        return listed[stem]
    shipped = shipped_dir().resolve()
    where = ", ".join(f"{f} (the shipped models)" if f.resolve() == shipped else str(f)
                      for f in models_dirs()) or "no model folder"
    raise ModelError(f"{name}: no such model file, and no {stem}.h5 in {where}; "
                     f"models there: {', '.join(sorted(listed)) or 'none'} "
                     f"(${ENV}, then ./models, then your personal models, then the shipped models)")
