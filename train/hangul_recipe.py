"""The recipe of models/hangul.h5, from fonts to model, in one command:

    python -m train.hangul_recipe --work hangul_work --out models/hangul.h5

1. fonts: every Korean face of the Debian packages fonts-nanum, -nanum-extra, -nanum-eco,
   -unfonts-core, -unfonts-extra, -baekmuk, -alee, -naver-d2coding, -noto-cjk and
   -noto-cjk-extra, each look once; fonts-lexi-gulim, -lexi-saebom and -woowa-bm are
   never trained on: they are the test fonts (apt-get install all thirteen).
2. synthesize (data_tools.synth): PHD08-style samples, part of them redrawn as pen
   strokes (--cursive C of those written as a quick hand joins them), into <work>/synth,
   one file per syllable.
3. convert (data_tools.phd08): through the pad's own preprocessing into <work>/data.
4. train (train.hangul): the jamo-aware network (--width F: F times as wide), backed up
   every epoch.
5. hand (data_tools.handwriting): the real writers of --hand (../shared/data/hangul-hand),
   each sample rewritten --copies times as another hand might, beside as many rows of the
   fonts' data (--replay-share), so the model keeps reading print; once with every writer
   and once without each writer (leave one writer out).
6. real (train.hangul --init): the fonts model fine-tuned on each of those, shorter and
   gentler; the one without writer W is the only one that W's figures may come from.
7. second: a second network, as wide and as cursive as --second says, made by stages
   1-6 in <work>/second; each run's two models are put into one, the mean of their
   probabilities (train.average), in <work>/mean. The two err differently: the mean
   reads writers it never saw better than either.
8. the model of every writer, its card recording this command, the commit, the seeds,
   the fonts used and held out, the writers, the sample counts and each stage's time, is
   put at --out (and converted for ONNX Runtime beside it), the left-out models in
   <work>/mean (<work>/real with --second none); then benchmarks/hangul_accuracy.py reads
   the held-out fonts and each real writer (with the model that never saw them), and the
   model it replaced.

--fonts-model MODEL takes a model this recipe made before (its card says so) as the
first network's train stage's output instead of training it again (101 minutes of the
2-core machine); the card then records that model's hash and its stage times.

Every stage is resumable: after an interruption run the same command again; a
finished stage is not redone; synthesis goes on from the last syllable written and
training from the last epoch backed up (a conversion starts over: it takes minutes).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from drawpad.atomic import write_atomically
from drawpad.errors import DrawpadError
from train.hangul import positive
from train.interrupt import TrainingInterrupted, interruptible

TRAIN_PACKAGES = ["fonts-nanum", "fonts-nanum-extra", "fonts-nanum-eco", "fonts-unfonts-core",
                  "fonts-unfonts-extra", "fonts-baekmuk", "fonts-alee", "fonts-naver-d2coding",
                  "fonts-noto-cjk", "fonts-noto-cjk-extra"]
HELD_OUT_PACKAGES = ["fonts-lexi-gulim", "fonts-lexi-saebom", "fonts-woowa-bm"]
NOT_A_HAND = {"BMEuljirooraeorae.ttf"}  # a grunge texture over a font, not a way of writing
STAGES = ("fonts", "synthesize", "convert", "train", "hand", "real")
MODEL = "hangul.h5"  # the trained model's name in the work folder, whatever --out is
SECOND = "second"  # the second network's work folder, inside the first's
REPLAY_PER_LABEL = 2  # fonts' samples of each syllable shipped for personalization, and 1 real one (~2 MB)
HAND = Path(__file__).resolve().parents[2] / "shared" / "data" / "hangul-hand"  # beside the checkout


# Every file is written whole or not at all (drawpad.atomic): a killed run never leaves half a
# file, and the work folder's files mark what is done.
def write_text(path: Path, text: str) -> None:
    write_atomically(path, text.encode("utf-8"))


def copy(src: Path, dst: Path) -> None:
    write_atomically(dst, lambda tmp: shutil.copy2(src, tmp))


def package_fonts(packages: list[str]) -> list[str]:
    """The distinct Korean fonts (faces) the Debian packages installed."""
    from data_tools.synth import FONT_FILES, distinct_korean, faces

    files = []
    for package in packages:
        try:
            listing = subprocess.run(["dpkg", "-L", package], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            raise ValueError(f"{package} is not installed (apt-get install {' '.join(TRAIN_PACKAGES + HELD_OUT_PACKAGES)})"
                             ) from None
        files += sorted(line for line in listing.splitlines()
                        if line.lower().endswith(FONT_FILES) and Path(line).name not in NOT_A_HAND)
    return distinct_korean([face for f in files for face in faces(Path(f))])


class Clock:
    """Each stage's seconds in <work>/stages.json, summed over every run of the command and
    saved every half minute, so a run that is killed loses at most that much of its count."""

    def __init__(self, work: Path):
        self.path = work / "stages.json"
        self.stages = json.loads(self.path.read_text()) if self.path.exists() else {}
        self.current, self.start = None, 0.0
        self._lock = threading.Lock()  # the ticker and the stages write the same file
        self._stop = threading.Event()
        self._ticker = threading.Thread(target=self._tick, daemon=True)
        self._ticker.start()

    def _tick(self):
        while not self._stop.wait(30):
            self.save()

    def seconds(self, stage: str) -> float:
        entry = self.stages.get(stage, {})
        extra = time.monotonic() - self.start if stage == self.current else 0.0
        return entry.get("seconds", 0.0) + extra

    def ran(self) -> list[str]:
        """The stages this work folder has run, in order (without real writers: not hand, real)."""
        return [s for s in STAGES if s in self.stages or s == self.current]

    def done(self, stage: str) -> bool:
        return self.stages.get(stage, {}).get("done", False)

    def begin(self, stage: str):
        self.current, self.start = stage, time.monotonic()

    def _current(self, done: bool) -> dict:
        return {"seconds": round(self.seconds(self.current), 1), "done": done}

    def end(self, done: bool = True):
        with self._lock:
            if self.current:
                self.stages[self.current] = self._current(done or self.done(self.current))
                self.current = None
                write_text(self.path, json.dumps(self.stages, indent=1))

    def save_now(self):
        with self._lock:
            write_text(self.path, json.dumps(self.stages, indent=1))

    def save(self):
        with self._lock:
            if self.current:
                write_text(self.path, json.dumps({**self.stages, self.current: self._current(False)}, indent=1))

    def close(self):
        """Count the stage under way as not done, and stop saving."""
        self._stop.set()
        self._ticker.join()
        self.end(done=False)


def second_network(text: str) -> tuple[float, float] | None:
    """argparse's type for --second: "F,C" (its width and cursive share) or none."""
    if text == "none":
        return None
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTH,CURSIVE (e.g. 1.25,0.5) or none")
    try:
        cursive = float(parts[1])
    except ValueError:
        cursive = float("nan")
    if not 0 <= cursive <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the cursive share must be in 0-1")
    return positive(parts[0]), cursive  # the width as train.hangul's --width takes it


def settings_of(args) -> dict:
    """What the work folder's data and model depend on: a rerun with other settings must not mix into it."""
    return {"labels": args.labels, "per_font": args.per_font, "pen": args.pen, "cursive": args.cursive,
            "seed": args.seed, "epochs": args.epochs,
            "batch_size": args.batch_size, "precision": args.precision, "plain": args.plain, "width": args.width,
            "fonts": str(args.fonts) if args.fonts else "packages",
            "held_out": str(args.held_out) if args.held_out else "packages",
            "hand": str(args.hand) if args.hand else None, "copies": args.copies,
            "replay_share": args.replay_share, "real_epochs": args.real_epochs, "real_lr": args.real_lr,
            "fonts_model": str(args.fonts_model) if args.fonts_model else None}


REAL_SETTINGS = {"hand", "copies", "replay_share", "real_epochs", "real_lr"}  # only the real stages use these
# Settings added since work folders were first made, with the value an older settings.json meant.
ADDED_SETTINGS = {"width": 1.0, "cursive": 0.0}


def check_settings(work: Path, settings: dict) -> None:
    """Refuse a work folder made with other settings, except the real stages' own: those
    are redone (their data and models removed), the fonts' data and model kept."""
    path = work / "settings.json"
    if path.exists():
        before = json.loads(path.read_text())
        before = {**ADDED_SETTINGS, **before}
        changed = sorted(k for k in settings if before.get(k) != settings[k])
        if set(changed) - REAL_SETTINGS:
            raise ValueError(f"{work} was made with other settings ({', '.join(changed)}: "
                             f"{', '.join(str(before.get(k)) for k in changed)}); use another --work folder")
        if changed:
            print(f"note: the real stages' settings changed ({', '.join(changed)}): they are done again", flush=True)
            for folder in ("hand", "real"):
                shutil.rmtree(work / folder, ignore_errors=True)
            write_text(path, json.dumps(settings, indent=1))
    else:
        write_text(path, json.dumps(settings, indent=1))


def fonts_stage(work: Path, fonts_file: Path | None, held_out_file: Path | None) -> tuple[list[str], list[str]]:
    """-> (training fonts, held-out fonts), chosen once and kept in the work folder."""
    from data_tools.synth import distinct_korean

    used, held = work / "fonts.txt", work / "held_out_fonts.txt"
    if not (used.exists() and held.exists()):
        def listed(path: Path) -> list[str]:
            return distinct_korean([line.strip() for line in path.read_text().splitlines() if line.strip()])
        train_fonts = listed(fonts_file) if fonts_file else package_fonts(TRAIN_PACKAGES)
        test_fonts = listed(held_out_file) if held_out_file else package_fonts(HELD_OUT_PACKAGES)
        if not train_fonts:
            raise ValueError("no Korean fonts to train on")
        both = sorted(set(train_fonts) & set(test_fonts))
        if both:  # the test fonts' figures would be figures on training data
            raise ValueError(f"{len(both)} test fonts are training fonts too, e.g. {both[0]}")
        write_text(held, "".join(f + "\n" for f in test_fonts))
        write_text(used, "".join(f + "\n" for f in train_fonts))  # last: it marks the stage done
    return used.read_text().split("\n")[:-1], held.read_text().split("\n")[:-1]


@interruptible
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m train.hangul_recipe", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("hangul_work"),
                    help="folder for every stage's output, ~3 GB (default %(default)s)")
    ap.add_argument("--out", type=Path, default=Path("models/hangul.h5"), help="(default %(default)s)")
    ap.add_argument("--fonts", type=Path, metavar="FILE",
                    help="train on these fonts (one path per line) instead of the Debian packages' (TRAIN_PACKAGES)")
    ap.add_argument("--held-out", type=Path, metavar="FILE",
                    help="test fonts (one path per line) instead of the held-out packages' (HELD_OUT_PACKAGES)")
    ap.add_argument("--labels", default="ksx1001",
                    help="ksx1001 (all 2,350 syllables) or a labels file, e.g. for a quick try (default %(default)s)")
    ap.add_argument("--per-font", type=int, default=3, help="samples per font and syllable (default %(default)s)")
    ap.add_argument("--pen", type=float, default=0.5,
                    help="share of the samples redrawn as pen strokes (default %(default)s)")
    ap.add_argument("--cursive", type=float, default=0.0, metavar="C",
                    help="the (first) network's share of those pen samples written cursively, as "
                         "data_tools.synth's --cursive (default %(default)s)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--precision", default="float32", choices=["float32", "mixed_bfloat16", "mixed_float16"],
                    help="training compute precision, as train.hangul's --precision (default %(default)s)")
    ap.add_argument("--plain", action="store_true", help="no jamo heads (the network to compare with)")
    ap.add_argument("--width", type=positive, default=1.0, metavar="F",
                    help="the (first) network F times as wide, as train.hangul's --width (default %(default)s)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="processes for synthesizing and converting (default: every core, %(default)s)")
    ap.add_argument("--hand", type=lambda a: None if a == "none" else Path(a), metavar="DIR",
                    default=HAND if HAND.is_dir() else None,
                    help="real handwriting to learn from, laid out as data_tools.handwriting reads "
                         "(default: %(default)s where it is; none: fonts only)")
    ap.add_argument("--copies", type=int, default=15,
                    help="rewritten variants of each real sample (default %(default)s)")
    ap.add_argument("--replay-share", type=float, default=0.5,
                    help="share of the real stage's rows that are the fonts' (default %(default)s)")
    ap.add_argument("--real-epochs", type=int, default=3)
    ap.add_argument("--real-lr", type=float, default=5e-4, help="peak learning rate of the real stage "
                    "(default %(default)s)")
    ap.add_argument("--fonts-model", type=Path, metavar="MODEL",
                    help="a fonts model this recipe made before, taken as the (first network's) train stage's output")
    ap.add_argument("--second", type=second_network, default=(1.25, 0.5), metavar="F,C",
                    help="a second network, F times as wide, C of its fonts' pen samples cursive, made by the "
                         "same stages in <work>/second; what ships is the mean of the two networks' "
                         "probabilities (train.average); none: one network (default 1.25,0.5)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-evaluate", action="store_true", help="skip benchmarks/hangul_accuracy.py at the end")
    args = ap.parse_args(argv)

    from train.common import provenance

    if args.out.resolve() == (args.work / MODEL).resolve():  # publishing would overwrite the fonts model
        print(f"error: --out {args.out} is the work folder's own fonts model, which the real stages start "
              "from; choose another --out", file=sys.stderr)
        return 2
    made_by = provenance("train.hangul_recipe", argv)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    clocks = [Clock(work)]
    try:
        check_settings(work, settings_of(args))
        if args.out.exists() and not (work / "previous.h5").exists() and not clocks[0].done("train"):
            copy(args.out, work / "previous.h5")  # what the new model is measured against
        if args.second:  # checked now, not after the first network's hours
            second_args = argparse.Namespace(**{**vars(args), "width": args.second[0], "cursive": args.second[1],
                                                "fonts_model": None})
            (work / SECOND).mkdir(exist_ok=True)
            check_settings(work / SECOND, settings_of(second_args))
        first = network(work, args, clocks[0])
        if isinstance(first, int):
            return first
        runs = first.runs
        if args.second:
            clocks.append(Clock(work / SECOND))
            second = network(work / SECOND, second_args, clocks[1])
            if isinstance(second, int):
                return second
            runs = means(first, second, work / "mean")
        out = publish(runs, args.out, made_by, first, args, clocks)
    except (ValueError, OSError, DrawpadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        if isinstance(e, TrainingInterrupted):  # it says where the training's backup stands
            raise
        raise TrainingInterrupted("interrupted: the same command goes on where this one stopped") from None
    finally:
        for clock in clocks:
            clock.close()
    minutes = stage_minutes(clocks)
    print(f"wrote {out} in {total_minutes(minutes):.0f} minutes of stages "
          f"({', '.join(f'{s} {m:.0f}' for s, m in minutes.items())})", flush=True)
    if args.no_evaluate:
        return 0
    return evaluate(out, work / "previous.h5", runs["all"].parent if first.real else None)


class Network(NamedTuple):
    """One network's stages done: its fonts, the fonts model, and the models of the real
    stages' runs ({} without real writers)."""
    work: Path
    fonts: list[str]
    held_out: list[str]
    samples: int
    model: Path
    real: dict[str, Path]

    @property
    def runs(self) -> dict[str, Path]:
        """What publishing and the means take: the real runs, or the fonts model as "all"."""
        return self.real or {"all": self.model}


def network(work: Path, args, clock: Clock) -> Network | int:
    """Every stage of one network in `work`, each skipped where done -> the Network, or
    train.hangul's exit status where it failed."""
    clock.begin("fonts")
    fonts, held_out = fonts_stage(work, args.fonts, args.held_out)
    clock.end()
    print(f"{work}: {len(fonts)} training fonts, {len(held_out)} held out", flush=True)
    synthesize_stage(work, fonts, args, clock)
    convert_stage(work, args, clock)
    samples = len(np.load(work / "data" / "labels.npy", mmap_mode="r"))
    model = work / MODEL
    if not clock.done("train"):
        if args.fonts_model:
            take_fonts_model(args.fonts_model, model, args.width, clock)
        else:
            clock.begin("train")
            status = train_stage(work, model, held_out, args)
            clock.end(done=status == 0)
            if status:
                return status
    real = real_stages(work, model, args, clock) if args.hand else {}
    if isinstance(real, int):
        return real
    return Network(work, fonts, held_out, samples, model, real)


def means(first: Network, second: Network, folder: Path) -> dict[str, Path]:
    """Each run's two models put into one (train.average: the mean of their probabilities),
    made again every time: it takes seconds. The first network's replay set goes beside each."""
    from train import average

    runs = {}
    for run, model in first.runs.items():
        out = folder / model.name
        if average.main([str(model), str(second.runs[run]), "--out", str(out)]):
            raise ValueError(f"the two networks' {run} models cannot be put together")
        replay = model.with_name(model.stem + ".replay.npz")
        if replay.is_file():
            copy(replay, out.with_name(out.stem + ".replay.npz"))
        runs[run] = out
    return runs


def synthesize_stage(work: Path, fonts: list[str], args, clock: Clock) -> None:
    from data_tools.synth import synthesize
    from drawpad.labels import ksx1001_syllables, read_labels

    if not clock.done("synthesize"):
        clock.begin("synthesize")
        labels = list(ksx1001_syllables()) if args.labels == "ksx1001" else read_labels(args.labels)
        _, lacking = synthesize(fonts, work / "synth", labels, args.per_font, args.seed, args.workers,
                                pen=args.pen, resume=True, cursive=args.cursive)
        for font, chars in lacking.items():
            print(f"note: {font} lacks {len(chars)} of the syllables (skipped)", flush=True)
        clock.end()


def convert_stage(work: Path, args, clock: Clock) -> None:
    from data_tools import phd08
    from drawpad.preprocess import HANGUL_SPEC

    if not clock.done("convert"):
        clock.begin("convert")
        phd08.convert(work / "synth", work / "data", HANGUL_SPEC, labels=args.labels, workers=args.workers,
                      overwrite=True)
        clock.end()


def train_stage(work: Path, model: Path, held_out: list[str], args) -> int:
    from train import hangul

    # One process: a TF_CONFIG left in the environment must not make it a cluster's worker.
    return hangul.main(["--data", str(work / "data"), "--out", str(model), "--epochs", str(args.epochs),
                        "--batch-size", str(args.batch_size), "--precision", args.precision, "--strategy", "default",
                        "--seed", str(args.seed), "--width", str(args.width), *(["--plain"] if args.plain else []),
                        "--held-out-fonts", *held_out])


def take_fonts_model(path: Path, model: Path, width: float, clock: Clock) -> None:
    """A fonts model this recipe made before as the train stage's output, its training time counted."""
    from drawpad.conversion import file_digest
    from drawpad.model_card import read_card
    from train.hangul import width_of

    card = read_card(path) if path.is_file() else None
    if not card or not card.get("command", "").startswith("python -m train.hangul_recipe"):
        raise ValueError(f"{path}: not a model train.hangul_recipe made (its card says no such command)")
    if card.get("writers"):
        raise ValueError(f"{path} has learned from real writers already: give the fonts stage's model")
    if "train" not in card.get("stage_minutes", {}):
        raise ValueError(f"{path}: its card does not say how long its training took")
    if width_of(card) != width:
        raise ValueError(f"{path} is a network of width {width_of(card):g}, not --width {width:g}")
    copy(path, model)
    clock.stages["train"] = {"seconds": card["stage_minutes"]["train"] * 60, "done": True,
                             "from": f"{path.name} (sha256 {file_digest(path)[:12]}, commit {card.get('commit')})"}
    clock.save_now()


def real_stages(work: Path, fonts_model: Path, args, clock: Clock) -> dict[str, Path] | int:
    """The fonts model fine-tuned on the real writers: once on all of them ("all") and once
    without each ("without-W"), each run's data and model kept, so a rerun goes on from the
    first run not finished. -> {run: model}, or train.hangul's exit status when it failed."""
    from data_tools import handwriting
    from drawpad.labels import ksx1001_syllables, read_labels
    from drawpad.preprocess import HANGUL_SPEC
    from train import hangul

    labels = list(ksx1001_syllables()) if args.labels == "ksx1001" else read_labels(args.labels)
    writers = sorted({s.writer for s in handwriting.read_folder(args.hand)})
    runs = {f"without-{w}": [x for x in writers if x != w] for w in writers} if len(writers) > 1 else {}
    runs["all"] = writers
    models = {}
    for name, used in runs.items():
        data, out = work / "hand" / name, work / "real" / f"{name}.h5"
        if not out.is_file():
            if not data.is_dir():
                clock.begin("hand")
                print(f"real writers, {name}: {', '.join(used)}", flush=True)
                handwriting.convert(args.hand, data, HANGUL_SPEC, labels=labels, writers=used, copies=args.copies,
                                    replay=work / "data", replay_share=args.replay_share, seed=args.seed,
                                    workers=args.workers)
                clock.end(done=False)
            clock.begin("real")
            status = hangul.main(["--data", str(data), "--out", str(out), "--init", str(fonts_model),
                                  "--epochs", str(args.real_epochs), "--lr", str(args.real_lr),
                                  "--batch-size", str(args.batch_size), "--precision", args.precision,
                                  "--strategy", "default", "--seed", str(args.seed),
                                  *(["--plain"] if args.plain else [])])
            clock.end(done=False)
            if status:
                return status
        if not out.with_name(f"{name}.replay.npz").is_file():
            write_replay(out.with_name(f"{name}.replay.npz"), work / "data", data, args.seed)
        models[name] = out
    for stage in ("hand", "real"):
        clock.stages.setdefault(stage, {"seconds": 0.0})["done"] = True
    clock.save_now()
    return models


def stage_minutes(clocks: list[Clock]) -> dict[str, float]:
    """Each stage's minutes, the second network's named so ("second train")."""
    return {f"{prefix}{s}": round(clock.seconds(s) / 60, 1)
            for prefix, clock in zip(("", f"{SECOND} "), clocks) for s in clock.ran()}


def total_minutes(minutes: dict[str, float]) -> float:
    return round(sum(minutes.values()), 1)


def publish(runs: dict[str, Path], out: Path, made_by: dict, first: Network, args, clocks: list[Clock]) -> Path:
    """The model of every writer (runs["all"]) with the recipe in its card, put at `out`
    (whole or not at all), its replay set and ONNX Runtime conversion kept beside it."""
    from drawpad.conversion import open_engine
    from drawpad.model_card import read_card, write_card

    model = runs["all"]
    card = read_card(model) if model.is_file() else None
    if card is None:
        raise ValueError(f"{model}, the trained model, is missing or has no card: train again with another --work")
    minutes = stage_minutes(clocks)
    card.update(made_by, train_command=card["command"], fonts=first.fonts, held_out_fonts=first.held_out,
                samples=first.samples, seeds={"synthesize": args.seed, "train": args.seed},
                stage_minutes=minutes, total_minutes=total_minutes(minutes))
    if args.second:
        card.update(second_network={"width": args.second[0], "cursive": args.second[1]})
    if "from" in clocks[0].stages.get("train", {}):
        card.update(fonts_model=clocks[0].stages["train"]["from"])
    if first.real:  # the card of the model of every writer lists them (train.hangul)
        card.update(hand=str(args.hand), copies=args.copies, replay_share=args.replay_share,
                    left_out={w: str(runs[f"without-{w}"]) for w in card["writers"] if f"without-{w}" in runs})
    out.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: Path):
        shutil.copy2(model, tmp)
        write_card(tmp, card)
    write_atomically(out, write)
    for suffix in (".curve.png", ".confusions.txt"):  # one network's training; a mean has none
        if model.with_name(model.stem + suffix).is_file():
            copy(model.with_name(model.stem + suffix), out.with_name(out.stem + suffix))
        else:  # not the model it replaced's
            out.with_name(out.stem + suffix).unlink(missing_ok=True)
    replay = out.with_name(out.stem + ".replay.npz")
    if first.real:
        copy(model.with_name(model.stem + ".replay.npz"), replay)
    else:
        write_replay(replay, first.work / "data", None, args.seed)
    open_engine(out)  # converts once now, so the first recognition does not
    return out


def write_replay(out: Path, fonts: Path, hand: Path | None, seed: int) -> None:
    """What train.personalize replays so that a personal model keeps reading everyone else,
    shipped beside the model (out: images, labels): REPLAY_PER_LABEL rows of each label of the
    fonts' converted data and, for a model that learned real writers, one real sample of each
    label from its hand data (as written, not a rewritten copy)."""
    rng = np.random.default_rng([seed, 2])

    def pick(labels: np.ndarray, eligible: np.ndarray, per_label: int) -> np.ndarray:
        shuffled = eligible[rng.permutation(len(eligible))]
        grouped = shuffled[np.argsort(labels[shuffled], kind="stable")]  # by label, in random order within
        y = labels[grouped]
        starts = np.flatnonzero(np.r_[True, y[1:] != y[:-1]])
        rank = np.arange(len(grouped)) - np.repeat(starts, np.diff(np.r_[starts, len(grouped)]))
        return np.sort(grouped[rank < per_label])

    images, labels = [], []
    for data, per_label in ((fonts, REPLAY_PER_LABEL), (hand, 1)):
        if data is None:
            continue
        y = np.load(data / "labels.npy")
        eligible = np.arange(len(y))
        if data == hand:  # the real samples as written: copy 0, not the fonts' rows replayed in it
            with open(data / "samples.csv", encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            eligible = np.array([k for k, r in enumerate(rows) if r["copy"] == "0" and r["writer"] != "replay"])
            eligible = eligible[np.load(data / "images.npy", mmap_mode="r")[eligible].any(axis=(1, 2))]  # not a blank
        chosen = pick(y, eligible, per_label)
        images.append(np.load(data / "images.npy", mmap_mode="r")[chosen])
        labels.append(y[chosen])

    def write(tmp: Path):
        with open(tmp, "wb") as fh:  # a file, not a name: savez would add ".npz" to the temporary name
            np.savez_compressed(fh, images=np.concatenate(images), labels=np.concatenate(labels))
    write_atomically(out, write)


def evaluate(model: Path, previous: Path, left_out: Path | None) -> int:
    from drawpad.model_card import read_card

    script = Path(__file__).resolve().parents[1] / "benchmarks" / "hangul_accuracy.py"
    if not script.is_file():
        print("benchmarks/hangul_accuracy.py is not here (an installed package): not evaluated")
        return 0
    command = [sys.executable, str(script), "--model", str(model)]
    if left_out:
        command += ["--left-out", str(left_out)]
    if previous.exists():
        if (read_card(previous) or {}).get("labels") == read_card(model)["labels"]:
            command += ["--previous", str(previous)]
        else:
            print(f"note: {previous} (the model --out replaced) has other labels: not compared")
    print("evaluating:", " ".join(command), flush=True)
    return subprocess.run(command).returncode


if __name__ == "__main__":
    raise SystemExit(main())
