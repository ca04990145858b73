"""Command line: the pad window, or headless recognition of image files."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from drawpad import reading
from drawpad.errors import DrawpadError, ImageError
from drawpad.image_io import read_image
from drawpad.labels import sidecar_labels
from drawpad.learner import EVERY, Learner
from drawpad.model_files import models_dirs, resolve_model, shipped_dir
from drawpad.conversion import print_notice
from drawpad.predictions import format_line
from drawpad.samples import default_dir as default_samples_dir

DEFAULT_MODEL = "mnist"
HANGUL_MODEL = "hangul"


def loader(path: Path, **options):
    """A function loading the model at `path` (Recognizer.from_file options) for
    recognizing one image at a time; the pad runs it while its window is already up,
    passing a `notice` that shows on screen what loading is doing."""
    def load(notice=print_notice):
        from drawpad.recognizer import Recognizer

        if options.get("engine") == "keras":
            from drawpad.engine import use_one_thread

            use_one_thread()  # the pad and --image recognize one image at a time
        return Recognizer.from_file(path, notice=notice, **options)
    return load


READINGS = 5  # the best readings of a line shown by --image --line


def recognize_files(rec, files, top: int, as_json: bool, line: bool = False) -> int:
    """Print one result per image, in order; an image that cannot be read or recognized
    gets an error line and the rest go on. Single characters are recognized as one
    batch; with `line`, each image is read as a line of characters (drawpad.reading)."""
    entries = []
    for name in files:
        try:
            entries.append(read_image(name))
        except ImageError as e:
            entries.append(e)
    images = [x for x in entries if not isinstance(x, ImageError)]
    recognized = iter([read_line(rec, x) for x in images] if line
                      else rec.recognize_batch(images, top=top, errors="return"))
    failed = 0
    for name, entry in zip(files, entries):
        result = entry if isinstance(entry, ImageError) else next(recognized)
        if isinstance(result, ImageError):
            msg = str(result) if str(result).startswith(str(name)) else f"{name}: {result}"
            print(f"error: {msg}", file=sys.stderr, flush=True)
            failed += 1
        elif line:
            print_line(name, result, top, as_json)
        elif as_json:
            print(json.dumps({"file": str(name), "predictions": as_dicts(result)}, ensure_ascii=False), flush=True)
        else:
            print(f"{name}: {format_line(result)}", flush=True)
    return 1 if failed else 0


def read_line(rec, image):
    """(the characters of a line image as split, its best readings (drawpad.beam_search: for
    Hangul with the Korean language model)), or the ImageError that refused it."""
    from drawpad.beam_search import line_readings, prior_for

    try:
        line = reading.read_line(rec, image, alternatives=rec.square_script)
        readings = line_readings(line, rec.labels, rec.square_script, READINGS, prior_for("ko", rec.square_script))
        return line.characters(), readings
    except ImageError as e:
        return e


def as_dicts(preds) -> list[dict]:
    return [{"label": p.label, "probability": round(p.probability, 6)} for p in preds]


def print_line(name, result, top: int, as_json: bool) -> None:
    """A line's best reading, its other readings with their scores, and the guesses of each
    character as split; with `as_json`, the boxes in the image's pixels."""
    characters, readings = result
    if as_json:
        print(json.dumps({"file": str(name), "line": readings[0].text,
                          "readings": [{"text": r.text, "score": round(r.score, 3)} for r in readings],
                          "characters": [{"box": [c.piece.box.x0, c.piece.box.y0, c.piece.box.x1, c.piece.box.y1],
                                          "predictions": as_dicts(c.guesses(top))} for c in characters]},
                         ensure_ascii=False), flush=True)
        return
    print(f"{name}: line: {readings[0].text}", flush=True)
    print(f"{name}: readings: {' | '.join(f'{r.text} {r.score:.2f}' for r in readings)}", flush=True)
    for c in characters:
        print(f"{name}: prediction: {format_line(c.guesses(top))}", flush=True)


def list_models(folders: Path | list[Path] | None = None) -> int:
    """Every model folder, in lookup order (drawpad.model_files), and one line per .h5 in it:
    what its card says, without loading the model."""
    from drawpad.model_card import read_card

    folders = models_dirs() if folders is None else [folders] if isinstance(folders, Path) else folders
    if not folders:
        print("no model folders: put .h5 files in ./models or in a folder named by $DRAWPAD_MODELS")
    shipped, first = shipped_dir().resolve(), {}
    for folder in folders:
        files = sorted(p for p in folder.glob("*.h5") if not p.name.startswith("."))  # not a temporary
        print(f"{folder}" + (" (the shipped models)" if folder.resolve() == shipped else "") + ":")
        if not files:
            print(f"  no models in {folder}: train one (python -m train.digits) or drop an .h5 there")
        for path in files:
            hidden = f" (--model {path.stem} finds the one in {first[path.stem]})" if path.stem in first else ""
            first.setdefault(path.stem, folder)
            try:
                card = read_card(path) or {}
            except DrawpadError as e:
                print(f"  {path.stem}: {e}{hidden}")
                continue
            sidecar = sidecar_labels(path)
            labels = (f"{len(card['labels'])} labels" if card.get("labels")
                      else f"labels from {sidecar.name}" if sidecar.is_file() else "labels by rule")
            acc = next((f"{k.replace('_', ' ')} {card[k]:.2%}" for k in ("test_accuracy", "val_accuracy")
                        if isinstance(card.get(k), (int, float))), "accuracy unknown")
            shape = "x".join(map(str, card["input_shape"])) if card.get("input_shape") else "input from model"
            print(f"  {path.stem}: {path.name}, {path.stat().st_size / 1e6:.1f} MB, {labels}, input {shape}, "
                  f"{acc}" + ("" if card else " (no model card)") + hidden)
            if card.get("trained_on"):
                print(f"      data: {card['trained_on']}")
            if card.get("personal_samples"):  # a personal model (train.personalize, the pad's learning)
                counts = card["personal_samples"]
                print(f"      personal: {sum(counts.values())} samples of {len(counts)} labels, "
                      f"made from {card.get('base_model', 'its base model')}")
    return 0


def learner(args):
    """What gives the Learner of the window's session, or of a web server's pages (session
    None): personal models loaded with the engine only, as M loads the other model."""
    every = 1 << 62 if args.no_learn else max(1, args.learn_every)
    return lambda session, **options: Learner(session, lambda path: loader(path, engine=args.engine)(),
                                              every=every, **options)


def serve(args, load, samples: Path | None) -> int:
    """drawpad serve: the start model loaded with every option given, the others listed by
    --list (switched to in the page) with the engine only, as M loads the other model."""
    from drawpad.actions import Models
    from drawpad.model_files import listed_models
    from drawpad.server import serve as run_server

    start = resolve_model(args.model)
    models = Models(start, listed_models(),
                    lambda path: load() if path == start else loader(path, engine=args.engine)())
    return run_server(models, args.host, args.port, samples=samples, top=args.top, learn=learner(args))


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m drawpad" if sys.argv[0].endswith("__main__.py") else Path(sys.argv[0]).name,
        description="Draw a digit or Hangul syllable and see the top guesses. "
                    "Write one character or a line of them. Keys: SPACE recognize, 1-5 it was the "
                    "n-th guess shown (of the character under the mouse; kept as a sample), TAB "
                    "the next guesses, ENTER add the reading to the text (and keep it), BACKSPACE "
                    "delete, C clear, Z undo, L live mode, M switch digits/Hangul, Q/ESC quit "
                    "(the composed text is printed on exit).")
    ap.add_argument("--model", default=DEFAULT_MODEL,
                    help="short name of a model (mnist, hangul), looked up in $DRAWPAD_MODELS, ./models, "
                         "then the shipped models; or a path to any .h5 (default: %(default)s)")
    ap.add_argument("--labels", help="labels file (one per line, or a JSON list) overriding "
                                     "the model card's")
    ap.add_argument("--ink", choices=["light", "dark"],
                    help="ink polarity the model was trained on, if its card does not say "
                         "(light: white on black, like MNIST)")
    ap.add_argument("--image", nargs="+", metavar="FILE",
                    help="recognize these image files without a window")
    ap.add_argument("--json", action="store_true", help="with --image: one JSON object per line")
    ap.add_argument("--line", action="store_true",
                    help="with --image: each image is a line of characters written left to right; "
                         "print its reading and each character's top guesses")
    ap.add_argument("--allow-code", action="store_true",
                    help="let the model file run Python code (Lambda layers); only for files "
                         "you trust. Without it such models are refused")
    ap.add_argument("--engine", choices=["onnx", "keras"], default="onnx",
                    help="onnx: ONNX Runtime, converting an .h5 once on its first use (fast start, "
                         "no TensorFlow); keras: run the .h5 on Keras (default: %(default)s)")
    ap.add_argument("--samples", metavar="DIR",
                    help="keep the drawings you confirm (ENTER) or correct (keys 1-5) under "
                         "DIR/<base model>/<label>/, for python -m train.personalize (default: "
                         f"{default_samples_dir()})")
    ap.add_argument("--no-save", action="store_true", help="keep no drawings (and learn nothing)")
    ap.add_argument("--no-learn", action="store_true",
                    help="do not learn your hand in the background (P still learns when asked)")
    ap.add_argument("--learn-every", type=int, default=EVERY, metavar="N",
                    help="learn your hand again after every N new samples (default %(default)s)")
    ap.add_argument("--list", action="store_true",
                    help="list the models of every model folder, in lookup order, with their cards")
    ap.add_argument("--top", type=int,
                    help="how many guesses to show (default: 3 for digits, 5 for Hangul)")
    ap.add_argument("--serve", action="store_true",
                    help="the pad in a web browser instead of a window (also: drawpad serve): a "
                         "local web server; open the address it prints")
    ap.add_argument("--host", default="127.0.0.1",
                    help="with --serve: the address to listen on; another than this machine's "
                         "own lets others draw on it (default: %(default)s)")
    ap.add_argument("--port", type=int, default=8765,
                    help="with --serve: the port (0: any free one; default: %(default)s)")
    return ap


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:  # drawpad serve: the same as --serve
        argv = ["--serve", *argv[1:]]
    args = build_parser().parse_args(argv)
    if args.top is not None and args.top < 1:
        print("error: --top must be at least 1", file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        print("error: --port must be 0 (any free one) to 65535", file=sys.stderr)
        return 2
    try:
        if args.list:
            return list_models()
        load = loader(resolve_model(args.model), labels=args.labels, ink=args.ink,
                      allow_code=args.allow_code, engine=args.engine)
        if args.image:
            rec = load()
            return recognize_files(rec, args.image, args.top or rec.default_top, args.json, args.line)
        samples = None if args.no_save else Path(args.samples) if args.samples else default_samples_dir()
        if args.serve:
            return serve(args, load, samples)
        from drawpad.pad import run_pad

        # M switches to the other shipped model: Hangul from digits, digits from anything else.
        other = DEFAULT_MODEL if args.model == HANGUL_MODEL else HANGUL_MODEL
        return run_pad(load, top=args.top, other=lambda: loader(resolve_model(other), engine=args.engine)(),
                       samples=samples, learn=learner(args))
    except DrawpadError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
