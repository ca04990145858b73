"""drawpad.learner: the pad learning the user's hand in the background, without a window."""
import shutil
import sys
import time
from pathlib import Path

import pytest

from drawpad import Recognizer
from drawpad.learner import Learner, base_of
from drawpad.session import Session
from tests.conftest import DIGIT_MODEL, FAKE_PERSONALIZE, need

ONE = [(200, 60), (200, 200), (200, 340)]


def learning_session(tmp_path, *fake_args, every=2):
    need(DIGIT_MODEL)
    base = tmp_path / "base"
    base.mkdir()
    for suffix in (".h5", ".onnx"):
        shutil.copy(DIGIT_MODEL.with_suffix(suffix), base / f"mnist{suffix}")
    (tmp_path / "fake.py").write_text(FAKE_PERSONALIZE)
    session = Session(Recognizer.from_file(base / "mnist.h5"), samples=tmp_path / "samples")
    session.events = []
    session.listen(session.events.append)
    learner = Learner(session, Recognizer.from_file, every=every, models=tmp_path / "mine",
                      command=[sys.executable, str(tmp_path / "fake.py"), *fake_args])
    return session, learner


def correct(session, times):
    for _ in range(times):
        session.add_stroke(ONE)
        session.recognize()
        session.pick(0, 1)
        session.pick(0, 2)  # a second pick replaces the sample: no new one
        session.clear()


def wait_until(condition, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_after_n_new_samples_the_personal_model_is_learned_and_swapped_in(tmp_path):
    session, learner = learning_session(tmp_path)
    correct(session, 1)
    assert learner.proc is None and session.learning == ""  # one sample: not yet
    correct(session, 1)
    assert session.learning.startswith("learning your hand from 2 samples")
    mine = tmp_path / "mine" / "mnist-mine.h5"
    # the run is over once its model is in and said (the learner is busy until then)
    assert wait_until(lambda: learner.proc is None and Path(session.rec.source) == mine), \
        [e.text for e in session.events]
    assert session.learning == ""
    assert session.message == "now reading with your personal model (mnist-mine.h5)"
    assert [e.text for e in session.events if e.kind == "learning"][-1] == ""
    assert session.store.folder == tmp_path / "samples" / "mnist"  # the same samples as the base model's
    session.add_stroke(ONE)
    assert session.recognize() is not None  # the personal model reads
    assert learner.back_to_base() and Path(session.rec.source) == tmp_path / "base" / "mnist.h5"


def test_learning_asked_for_while_a_new_model_is_loaded_runs_after_it_and_is_swapped_in_too(tmp_path):
    import threading

    session, learner = learning_session(tmp_path)
    loads, loading = [], threading.Event()

    def slow_load(path):  # the first personal model takes a while to open
        rec = Recognizer.from_file(path)
        if not loads:
            loading.set()
            time.sleep(1.5)
        loads.append(rec)
        return rec
    learner.load = slow_load
    correct(session, 2)
    assert loading.wait(60)
    assert learner.learn()  # P while the first run's model is being opened: queued, not run beside it
    assert wait_until(lambda: len(loads) == 2 and learner.proc is None and session.learning == "")
    assert session.rec is loads[1]  # the second run's model is the one in use
    statuses = [e.text for e in session.events if e.kind == "learning"]
    assert [bool(t) for t in statuses] == [True, False, True, False], statuses


def test_a_failed_run_says_so_in_one_line_and_the_model_in_use_goes_on(tmp_path):
    session, learner = learning_session(tmp_path, "--fail", "no good")
    before = session.rec
    correct(session, 2)
    assert wait_until(lambda: learner.proc is None and session.learning == "")
    assert session.rec is before
    errors = [e.text for e in session.events if e.kind == "error"]
    assert errors == ["learning failed, the model in use goes on: no good"]
    session.add_stroke(ONE)
    assert session.recognize() is not None
    assert not (tmp_path / "mine" / "mnist-mine.h5").exists()


def test_nothing_to_learn_from_is_said_and_a_personal_models_base_is_the_model_it_was_made_from(tmp_path):
    session, learner = learning_session(tmp_path, every=100)
    assert not learner.learn()
    assert session.message.startswith("nothing to learn from yet")
    correct(session, 1)
    assert learner.learn()
    assert wait_until(lambda: Path(session.rec.source).name == "mnist-mine.h5")
    rec = session.rec
    rec.card["personalized_from"] = str(tmp_path / "base" / "mnist.h5")
    assert base_of(rec) == tmp_path / "base" / "mnist.h5"


def test_list_shows_the_personal_models_with_their_samples(tmp_path, monkeypatch, capsys):
    from drawpad.cli import list_models
    from drawpad.model_card import read_card, write_card
    from drawpad.model_files import personal_dir
    need(DIGIT_MODEL)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    mine = personal_dir() / "mnist-mine.h5"
    mine.parent.mkdir(parents=True)
    shutil.copy(DIGIT_MODEL, mine)
    write_card(mine, {**read_card(mine), "personal_samples": {"3": 2, "7": 1}, "base_model": "mnist"})
    assert list_models() == 0
    lines = capsys.readouterr().out.splitlines()
    assert f"{personal_dir()}:" in lines
    at = next(i for i, line in enumerate(lines) if line.startswith("  mnist-mine: mnist-mine.h5, "))
    assert "      personal: 3 samples of 2 labels, made from mnist" in lines[at:at + 3]
