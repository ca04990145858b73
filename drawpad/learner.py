"""Learning the user's hand while they write: personalization in the background.

After every `every` new samples of the model in use (and when asked), `python -m
train.personalize` makes a personal model from all of that model's samples in another
process, at low priority, so drawing stays smooth; when it is ready the session
recognizes with it (Session.use_model), and until then the model in use goes on. A run
that fails or is interrupted says so in one line and changes nothing. Personal models
live in the user's data folder (drawpad.model_files.personal_dir), named
<base model>-mine.h5, and are always made from the base model, never from an earlier
personal model, so they do not drift. A front end shows Session.learning and the events.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from drawpad.errors import DrawpadError
from drawpad.model_files import personal_dir
from drawpad.samples import model_key

EVERY = 20  # new samples between two personalizations


def base_of(rec) -> Path:
    """The model a recognizer's model was personalized from, else its own file."""
    made_from = rec.card.get("personalized_from")
    return Path(made_from) if made_from and Path(made_from).is_file() else Path(rec.source)


def personal_model(rec, folder: Path | None = None) -> Path:
    """Where the personal model of a recognizer's base model is kept."""
    return (folder or personal_dir()) / f"{model_key(rec.card, rec.source)}-mine.h5"


class Learner:
    """Watches `session`'s samples and keeps a personal model of its model learning. `load`
    turns a model file into a Recognizer; `command` the personalize command line (before
    --model, --samples, --out); `models` where personal models go."""

    def __init__(self, session, load, *, every: int = EVERY, models: Path | None = None,
                 command: list[str] | None = None):
        self.session, self.load, self.every = session, load, every
        self.models = models or personal_dir()
        self.command = command or [sys.executable, "-m", "train.personalize"]
        self.new = 0          # samples since the last personalization started
        self.proc: subprocess.Popen | None = None
        self._again = False   # asked while a run was going: run once more after it
        self._bases: dict[Path, Path] = {}  # personal model -> the base model it was made from
        self._swapped = 0     # model changes by the user (B, M): a run started before one is not swapped in
        self._closing = False
        self._lock = threading.Lock()
        session.listen(self._on_event)

    def _on_event(self, event) -> None:
        if event.kind == "sample" and not event.data.get("replaced"):  # a new pick is no new sample
            self.new += 1
            if self.new >= self.every:
                self.learn()
        elif event.kind == "model":
            self.new = 0  # another model: its own count
            self._swapped += 1

    def learn(self) -> bool:
        """Personalize the model in use now (in the background). False, said on screen, when
        there is nothing to learn from."""
        session = self.session
        rec, store = session.rec, session.store
        if rec is None or store is None or not store.count():
            session.say("nothing to learn from yet: correct (1-5) or confirm (ENTER) some drawings first")
            return False
        with self._lock:
            if self.proc is not None:
                self._again = True
                return True
            self.new = 0
            out = personal_model(rec, self.models)
            base = self._base(rec)
            argv = [*self.command, "--model", str(base), "--samples", str(store.folder), "--out", str(out)]
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                proc = self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                                    text=True, **_LOW_PRIORITY)
                _lower_priority(proc.pid)
            except OSError as e:
                session.error(f"learning could not start: {e}")
                return False
        session.show_learning(f"learning your hand from {store.count()} samples...")
        threading.Thread(target=self._wait, args=(proc, out, base, store.folder, self._swapped),
                         daemon=True).start()
        return True

    def _base(self, rec) -> Path:
        return self._bases.get(Path(rec.source)) or base_of(rec)

    def _wait(self, proc: subprocess.Popen, out: Path, base: Path, folder: Path, swapped: int) -> None:
        err = proc.communicate()[1] or ""
        with self._lock:
            self.proc = None
            again, self._again = self._again, False
        if self._closing:  # the pad stopped it on its way out
            return
        session = self.session
        personal = problem = None
        if proc.returncode != 0:
            problem = (f"it was stopped (signal {-proc.returncode})" if proc.returncode < 0 else
                       next((line for line in reversed(err.splitlines()) if line.strip()),
                            f"exit status {proc.returncode}").removeprefix("error: "))
        else:
            try:
                personal = self.load(out)  # already converted by train.personalize: opened at once
            except Exception as e:  # noqa: BLE001 - any failure is one line, and the pad goes on
                problem = str(e) or type(e).__name__
        session.show_learning("")
        if problem:
            session.error(f"learning failed, the model in use goes on: {problem}")
        else:
            self._bases[Path(personal.source)] = base
            # still drawing on that model, and the user did not change models meanwhile (B, M)
            if session.store is not None and session.store.folder == folder and self._swapped == swapped:
                session.use_model(personal)
                session.say(f"now reading with your personal model ({out.name})")
        if again:
            self.learn()

    def back_to_base(self) -> bool:
        """Recognize with the base model again (the personal model is kept on disk)."""
        rec = self.session.rec
        if rec is None or self._base(rec) == Path(rec.source):
            self.session.say("already reading with the base model")
            return False
        try:
            self.session.use_model(self.load(self._base(rec)))
        except DrawpadError as e:
            self.session.error(str(e))
            return False
        return True

    def close(self) -> None:
        """Stop a run under way (the pad is closing) as Ctrl-C would, so that it removes what it
        was writing; the personal model in place stays as it was."""
        self._closing = True
        with self._lock:
            proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.CTRL_C_EVENT if sys.platform == "win32" else signal.SIGINT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


# Low CPU priority, so drawing stays smooth: Windows at creation; elsewhere set on the child
# once started (a preexec_fn may deadlock in a process with threads, as the pad is).
_LOW_PRIORITY = {"creationflags": subprocess.BELOW_NORMAL_PRIORITY_CLASS} if sys.platform == "win32" else {}


def _lower_priority(pid: int) -> None:
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, pid, 10)
        except OSError:  # it has ended already, or the system refuses: it runs at normal priority
            pass
