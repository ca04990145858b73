"""The pad session (drawpad.session) without any window: strokes, reading, picks, text, samples, events."""
import json

import pytest

from drawpad.session import Session
from tests.conftest import save_tiny_model

ONE = [(200, 60), (200, 200), (200, 340)]


@pytest.fixture
def rec(tmp_path):
    from drawpad import Recognizer
    return Recognizer.from_file(save_tiny_model(tmp_path / "m.h5"), notice=lambda m: None)


@pytest.fixture
def session(rec, tmp_path):
    s = Session(rec, samples=tmp_path / "samples")
    s.events = []
    s.listen(s.events.append)
    return s


def kinds(session):
    return [e.kind for e in session.events]


def test_a_stroke_read_shows_its_guesses_and_the_state_is_json(session):
    session.add_stroke(ONE)
    line = session.recognize()
    assert line is not None and len(session.characters) == 1
    [event] = session.events
    assert event.kind == "reading" and event.text == session.reading
    [char] = event.data["characters"]
    assert len(char["guesses"]) == 3 and char["label"] == char["guesses"][0]["label"]
    probs = line.pieces[0].probabilities  # the full vector, for a reader of the whole line
    assert probs.shape == (10,) and abs(probs.sum() - 1) < 1e-5
    state = json.loads(json.dumps(session.state()))
    assert state["strokes"] == [[list(p) for p in ONE]] and state["characters"][0]["box"][0] < 200


def test_nothing_drawn_is_a_reading_of_nothing_with_the_reason(session):
    assert session.recognize() is None
    assert session.events[-1].kind == "reading" and session.events[-1].text == "draw something first"
    assert session.message == "draw something first"


def test_undo_clear_and_live_mode(session):
    session.add_stroke([(100, 100), (300, 100)])
    session.add_stroke([(200, 100), (200, 300)])
    session.undo()
    assert len(session.canvas.strokes) == 1 and session.message == "undone"
    session.clear()
    assert session.canvas.is_empty and session.message == "cleared"
    session.set_live(True)
    session.add_stroke(ONE)  # live: read when the pen goes up
    assert kinds(session)[-1] == "reading" and session.characters


def test_points_are_clamped_to_the_canvas(session):
    session.add_stroke([(100, 100), (5000, -50)])
    assert session.canvas.strokes[0][-1] == (session.canvas.width - 1, 0)


def test_a_new_stroke_forgets_the_reading_of_the_old_drawing(session):
    session.add_stroke(ONE)
    session.recognize()
    session.begin_stroke(400, 100)
    assert session.characters == [] and session.line is None


def test_text_is_composed_and_deleted(session):
    session.add_stroke(ONE)
    added = session.add_reading()
    assert len(added) == 1 and session.text == added and session.canvas.is_empty
    session.backspace()
    session.backspace()  # from empty text: harmless
    assert session.text == "" and [e.text for e in session.events if e.kind == "text"] == [added, ""]


def test_switch_model_and_back_without_reloading(session, tmp_path):
    from drawpad import Recognizer
    labels = tmp_path / "h.labels.txt"
    labels.write_text("\n".join("가나다라마바사아자차카타파하"), encoding="utf-8")
    hangul = Recognizer.from_file(save_tiny_model(tmp_path / "h.h5", (60, 60, 1), outputs=14), labels=labels,
                                  notice=lambda m: None)
    loads = []
    session.other = lambda: loads.append(1) or hangul
    digits = session.rec
    session.add_stroke(ONE)
    assert session.switch_model() and session.rec is hangul and session.top == 5
    assert kinds(session)[-3:] == ["model", "message", "reading"]  # what is drawn is read again
    assert session.reading in "가나다라마바사아자차카타파하"
    assert session.switch_model() and session.rec is digits
    assert session.switch_model() and loads == [1]


def test_a_personal_model_swapped_in_adds_to_its_base_models_samples(session, tmp_path):
    from drawpad import Recognizer
    from drawpad.model_card import write_card
    session.add_stroke(ONE)
    session.recognize()
    session.pick(0, 0)
    base_folder = session.store.folder
    mine = save_tiny_model(tmp_path / "m-mine.h5")
    write_card(mine, {"name": "m-mine", "base_model": "m", "personalized_from": str(tmp_path / "m.h5")})
    session.use_model(Recognizer.from_file(mine, notice=lambda m: None))
    assert session.store.folder == base_folder and session.sample_count == 1
    session.recognize()
    session.pick(0, 1)
    assert session.sample_count == 2 and len(list(base_folder.glob("*/*.png"))) == 2


def test_a_new_pick_replaces_the_drawings_sample_and_says_so(session):
    session.add_stroke(ONE)
    session.recognize()
    assert session.pick(0, 0) and session.pick(0, 2) and session.pick(0, 2)
    samples = [e for e in session.events if e.kind == "sample"]
    assert len(samples) == 2 and samples[1].data["replaced"] == samples[0].data["path"]
    assert session.sample_count == 1 and [p.parent.name for p in session.store.folder.glob("*/*.png")] == \
        [session.guesses(0)[2].label]
    assert not session.pick(0, 10) and not session.pick(3, 0)  # no such guess, no such character


def test_a_failed_save_is_an_error_event_and_the_session_goes_on(session, tmp_path):
    (tmp_path / "samples").write_text("not a folder")
    session.add_stroke(ONE)
    session.recognize()
    session.pick(0, 1)
    label = session.characters[0].label
    [error] = [e for e in session.events if e.kind == "error"]
    assert error.text.startswith(f"cannot keep {label}: ") and session.message == error.text
    assert session.add_reading() == label and session.text == label


def test_learning_status_is_an_event_and_in_the_state(session):
    session.show_learning("learning your hand: 20 new samples")
    assert session.events[-1].kind == "learning" and session.state()["learning"].startswith("learning")
    session.show_learning("")
    assert session.state()["learning"] == ""


def test_while_the_model_loads_the_session_says_so(tmp_path):
    s = Session(samples=tmp_path)
    s.add_stroke(ONE)
    assert s.recognize() is None and s.message == "the model is still loading"
    assert s.state()["model"] is None and s.state()["samples"] is None


THREE = [[(150, 80), (150, 320)], [(400, 80), (400, 320)], [(650, 80), (650, 320)]]  # three strokes apart


def test_a_line_of_several_is_read_whole_and_keys_pick_a_reading_of_it(session):
    for stroke in THREE:
        session.add_stroke(stroke)
    session.recognize()
    assert len(session.characters) == 3 and 1 < len(session.readings) <= 5
    best = session.readings[0]
    # no language prior for this model: the best reading is each character's best guess
    assert session.reading == best.text == "".join(c.guesses(1)[0].label for c in session.characters)
    assert [r["text"] for r in session.state()["readings"]] == [r.text for r in session.readings]
    second = session.readings[1].text
    assert session.pick_reading(1) and session.reading == second and session.state()["chosen_reading"] == 1
    assert session.events[-1].kind == "reading" and session.events[-1].text == second
    assert not session.pick_reading(7)
    same_split = [r.box for r in session.readings[1].characters] == [c.piece.box for c in session.characters]
    assert session.add_reading() == second and session.text == second
    kept = sorted(p.parent.name for p in session.store.folder.glob("*/*.png"))
    # samples only where the reading's characters are the characters drawn
    assert kept == (sorted(second) if same_split else [])


def test_a_character_picked_in_a_line_makes_the_reading_the_characters(session):
    for stroke in THREE:
        session.add_stroke(stroke)
    session.recognize()
    session.pick(1, 2)
    third = session.characters[1].guesses(1, 2)[0].label
    assert session.chosen_reading is None and session.reading[1] == third
    assert session.reading == "".join(c.label for c in session.characters)
