"""Learning the user's hand while they write: personalization in the background.

After every `every` new samples of a model (and when asked), `python -m train.personalize`
makes a personal model from all of that model's samples in another process, at low
priority, so drawing stays smooth; when it is ready the sessions drawing on that model
(the window's; a web server's pages) recognize with it (Session.use_model), and until
then the model in use goes on. A run that fails or is interrupted says so in one line
and changes nothing. Personal models live in the user's data folder
(drawpad.model_files.personal_dir), named <base model>-mine.h5, and are always made from
the base model, never from an earlier personal model, so they do not drift. A front end
shows Session.learning and the events.
"""
from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import threading
import weakref
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
    --model, --samples, --out); `models` where personal models go; `lock`, when given, is
    held while a personal model is swapped into a session (a web server's: its sessions
    share recognizers, one action at a time).

    A web server has one Learner for all its pages (session None, then attach() each):
    their samples go to the same folders, so one personalization at a time, over all of
    them, is what a person's samples need; a Learner per page would run two personalizations
    of the same model at once, on 2 cores, both writing the same personal model."""

    def __init__(self, session, load, *, every: int = EVERY, models: Path | None = None,
                 command: list[str] | None = None, lock=None):
        self.session, self.load, self.every = session, load, every
        self.models = models or personal_dir()
        self.command = command or [sys.executable, "-m", "train.personalize"]
        self.new: dict[Path, int] = {}  # samples folder -> its samples since its last personalization started
        self.proc: subprocess.Popen | None = None
        self._asked: dict[Path, object] = {}  # asked while a run was going, by folder: the session, to run after it
        self._bases: dict[Path, Path] = {}  # personal model -> the base model it was made from
        # session -> its model changes by the user (B, M): a run started before one is not swapped in
        self._swapped: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._closing = False
        self._lock = threading.Lock()
        self._swap_lock = lock or contextlib.nullcontext()
        if session is not None:
            self.attach(session)

    def attach(self, session) -> None:
        """Watch `session` too (a web server's new page); a session forgotten is dropped."""
        with self._lock:
            self._swapped[session] = 0
        session.listen(functools.partial(self._on_event, session))

    def _on_event(self, session, event) -> None:
        if event.kind == "sample" and not event.data.get("replaced"):  # a new pick is no new sample
            folder = session.store.folder
            with self._lock:
                self.new[folder] = self.new.get(folder, 0) + 1
                due = self.new[folder] >= self.every
            if due:
                self.learn(session)
        elif event.kind == "model":
            with self._lock:
                self._swapped[session] = self._swapped.get(session, 0) + 1

    def learn(self, session=None) -> bool:
        """Personalize the model `session` (None: the Learner's own) uses now, in the background.
        False, said on screen, when there is nothing to learn from."""
        session = session or self.session
        rec, store = session.rec, session.store
        if rec is None or store is None or not store.count():
            session.say("nothing to learn from yet: correct (1-5) or confirm (ENTER) some drawings first")
            return False
        folder, problem = store.folder, None
        with self._lock:
            if self.proc is not None:
                self._asked[folder] = session
                return True
            self.new[folder] = 0
            out = personal_model(rec, self.models)
            base = self._base(rec)
            # who shows it: every session drawing on this model now, with its count of model changes
            watching = {s: n for s, n in self._swapped.items() if s.store is not None and s.store.folder == folder}
            argv = [*self.command, "--model", str(base), "--samples", str(folder), "--out", str(out)]
            try:
                out.parent.mkdir(parents=True, exist_ok=True)
                proc = self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                                    text=True, **_LOW_PRIORITY)
                _lower_priority(proc.pid)
            except OSError as e:
                problem = e
        if problem:
            session.error(f"learning could not start: {problem}")
            return False
        for s in watching:
            s.show_learning(f"learning your hand from {store.count()} samples...")
        threading.Thread(target=self._wait, args=(proc, out, base, folder, watching), daemon=True).start()
        return True

    def _base(self, rec) -> Path:
        return self._bases.get(Path(rec.source)) or base_of(rec)

    def _wait(self, proc: subprocess.Popen, out: Path, base: Path, folder: Path, watching: dict) -> None:
        err = proc.communicate()[1] or ""
        try:  # busy until the new model is in: a run started before would not be swapped in after it
            if not self._closing:  # else the pad stopped it on its way out
                self._finish(proc, err, out, base, folder, watching)
        finally:
            with self._lock:
                self.proc = None
                asked = self._asked.pop(next(iter(self._asked)), None) if self._asked else None
        if asked is not None and not self._closing:
            self.learn(asked)

    def _finish(self, proc: subprocess.Popen, err: str, out: Path, base: Path, folder: Path, watching: dict) -> None:
        """Say how the run ended and swap its model into the sessions that still draw on that model."""
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
        if personal is not None:
            self._bases[Path(personal.source)] = base
        for session, swapped in watching.items():
            session.show_learning("")
            if problem:
                session.error(f"learning failed, the model in use goes on: {problem}")
                continue
            with self._swap_lock, session.lock:
                # still drawing on that model, and the user did not change models meanwhile (B, M)
                if (session.store is not None and session.store.folder == folder
                        and self._swapped.get(session) == swapped):
                    session.use_model(personal)
                    session.say(f"now reading with your personal model ({out.name})")

    def back_to_base(self, session=None) -> bool:
        """Recognize with the base model again in `session` (None: the Learner's own); the
        personal model is kept on disk."""
        session = session or self.session
        rec = session.rec
        if rec is None or self._base(rec) == Path(rec.source):
            session.say("already reading with the base model")
            return False
        try:
            session.use_model(self.load(self._base(rec)))
        except DrawpadError as e:
            session.error(str(e))
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
