"""drawpad serve's app and JSON API through Starlette's TestClient (no browser): the page's
actions drive a pad session, /recognize reads as the window does, bad input is a 400."""
import json
import shutil
import subprocess
import sys
import time
import urllib.request

import cv2
import numpy as np
import pytest

from tests.conftest import DIGIT_MODEL, FAKE_PERSONALIZE, ROOT, need, stroke_image
from benchmarks.browser import PadServer
from tests.web import GA, digit_strokes

pytest.importorskip("starlette.testclient", reason="pip install -e .[test]")


@pytest.fixture(scope="module")
def models():
    from drawpad import Recognizer
    from drawpad.actions import Models
    from drawpad.model_files import listed_models
    need(DIGIT_MODEL)
    return Models(DIGIT_MODEL, listed_models(), lambda path: Recognizer.from_file(path, notice=lambda m: None))


@pytest.fixture
def client(models, tmp_path):
    from starlette.testclient import TestClient

    from drawpad.server import create_app
    return TestClient(create_app(models, samples=tmp_path / "samples"))


def act(client, session, action, **fields):
    reply = client.post("/pad", json={"action": action, "session": session, **fields})
    assert reply.status_code == 200, reply.text
    return reply.json()


def session_guesses(rec, strokes, top=3):
    """What the window's path gives the same strokes: a pad session, its canvas and Recognizer."""
    from drawpad.session import Session
    session = Session(rec, top=top)
    for s in strokes:
        session.add_stroke(s)
    session.recognize()
    return [c["guesses"] for c in session.state()["characters"]]


def test_the_page_draws_reads_picks_and_keeps_samples_where_the_window_keeps_them(client, tmp_path):
    page = client.get("/")
    assert page.status_code == 200 and 'import {httpTransport, mount} from "./pad.js"' in page.text
    assert client.get("/pad.js").headers["content-type"].startswith("text/javascript")
    hello = act(client, None, "hello")
    key = hello["session"]
    assert hello["canvas"] == {"width": 960, "height": 400, "pen": 16} and hello["current"] == "mnist"
    assert hello["samples"]["folder"] == str(tmp_path / "samples" / "mnist")
    seven = digit_strokes("7")
    for stroke in seven:
        view = act(client, key, "stroke", points=stroke)
    assert view["strokes"] == seven and view["session"] == key
    view = act(client, key, "recognize")
    [char] = view["characters"]
    assert char["guesses"][0]["label"] == "7" and len(char["guesses"]) == 3
    more = act(client, key, "more", char=0, start=3)
    assert [g["label"] for g in more["page"]["guesses"]] != [g["label"] for g in char["guesses"]]
    second = more["page"]["guesses"][1]["label"]  # guess 5 of 10
    view = act(client, key, "pick", char=0, index=4)
    assert view["characters"][0]["label"] == second and view["samples"]["count"] == 1
    assert len(list((tmp_path / "samples" / "mnist" / second).glob("*.png"))) == 1
    view = act(client, key, "enter")
    assert view["text"] == second and view["strokes"] == [] and view["characters"] == []
    assert act(client, key, "backspace")["text"] == ""
    other = act(client, None, "hello")  # another page: its own session
    assert other["session"] != key and other["strokes"] == [] and other["samples"]["count"] == 1


def test_undo_clear_live_and_switching_models(client):
    key = act(client, None, "hello")["session"]
    seven = digit_strokes("7")
    for stroke in seven + [[[700, 100], [700, 300]]]:
        act(client, key, "stroke", points=stroke)
    assert act(client, key, "undo")["strokes"] == seven
    assert act(client, key, "live")["live"] is True
    view = act(client, key, "stroke", points=[[700, 100], [700, 300]])  # live: read when the pen goes up
    assert [c["label"] for c in view["characters"]] == ["7", "1"]
    assert act(client, key, "clear")["strokes"] == []
    view = act(client, key, "model", name="hangul")
    assert view["current"] == "hangul" and view["model"]["labels"] == 2350 and view["top"] == 5
    for stroke in GA:
        view = act(client, key, "stroke", points=stroke)  # still live
    assert view["characters"][0]["guesses"][0]["label"] == "가"
    assert act(client, key, "model", name="mnist")["current"] == "mnist"


def test_recognize_reads_strokes_as_the_window_and_a_png_as_image_line(client, models):
    seven = digit_strokes("7")
    reply = client.post("/recognize", json={"strokes": seven})
    assert reply.status_code == 200
    body = reply.json()
    assert body["line"] == "7" and body["model"] == "mnist"
    assert [c["guesses"] for c in body["characters"]] == session_guesses(models.get("mnist"), seven)
    body = client.post("/recognize", json={"strokes": GA, "model": "hangul", "top": 2}).json()
    assert body["line"] == "가" and len(body["characters"][0]["guesses"]) == 2
    png = cv2.imencode(".png", stroke_image([[tuple(p) for p in s] for s in seven]))[1].tobytes()
    body = client.post("/recognize", content=png, headers={"content-type": "image/png"}).json()
    assert body["line"] == "7" and body["characters"][0]["box"][0] > 0 and body["model"] == "mnist"
    body = client.post("/recognize?top=1", content=png, headers={"content-type": "image/png"}).json()
    assert len(body["characters"][0]["guesses"]) == 1
    blank = cv2.imencode(".png", np.full((50, 50), 255, np.uint8))[1].tobytes()
    body = client.post("/recognize", content=blank, headers={"content-type": "image/png"}).json()
    assert body["line"] == "" and body["message"]  # nothing to read is an answer, not an error


def test_models_and_labels_are_the_listed_ones(client, models):
    from drawpad.model_files import listed_models
    assert client.get("/models").json() == {"models": ["mnist", *[n for n in listed_models() if n != "mnist"]],
                                            "default": "mnist"}
    assert client.get("/labels").json() == {"model": "mnist", "labels": list("0123456789")}
    assert client.get("/labels", params={"model": "hangul"}).json()["labels"][0] == "가"


FIFTY_MB_OF_POINTS = b'{"strokes": [[' + b",".join([b"[100,200]"] * 5_000_000) + b"]]}"


@pytest.mark.parametrize("body, says", [
    (b"{not json", "the request is not JSON"),
    (b"[1, 2]", "send {"),
    (b'{"strokes": []}', "no strokes"),
    (b'{"strokes": [[]]}', "a stroke is a non-empty list"),
    (b'{"strokes": [[[1, NaN]]]}', "a point is [x, y], two finite numbers"),
    (b'{"strokes": [[[1, 2, 3]]]}', "a point is [x, y]"),
    (b'{"strokes": [[["1", 2]]]}', "a point is [x, y]"),
    (b'{"strokes": [[[1, 2]]], "model": "../../models/mnist.h5"}', "is not one of the models served"),
    (b'{"strokes": [[[1, 2]]], "model": "/etc/passwd"}', "is not one of the models served"),
    (b'{"strokes": [[[1, 2]]], "top": 0}', "top must be a whole number from 1 to 10"),
    (b'{"strokes": [[' + b",".join([b"[1,2]"] * 60_000) + b"]]}", "too many points"),
    (FIFTY_MB_OF_POINTS, "at most 2,000,000"),
    (b"\xff\xfe", "the request is not JSON"),
])
def test_bad_requests_are_one_line_400s_and_the_server_goes_on(client, body, says):
    reply = client.post("/recognize", content=body, headers={"content-type": "application/json"})
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert says in error and "\n" not in error and len(error) < 200
    assert client.post("/recognize", json={"strokes": digit_strokes("7")}).json()["line"] == "7"


def test_a_body_without_its_size_is_cut_off_at_the_limit(client):
    chunks = (b"[" + b"1," * 500_000 for _ in range(100))  # 100 MB, chunked: no Content-Length
    reply = client.post("/recognize", content=chunks, headers={"content-type": "application/json"})
    assert reply.status_code == 400 and "over 2,000,000 bytes" in reply.json()["error"]


@pytest.mark.parametrize("action, says", [
    ({"action": "explode"}, "unknown action 'explode'"),
    ({"action": "stroke", "points": "nope"}, "a stroke is a non-empty list"),
    ({"action": "pick", "char": -1, "index": 0}, "char must be a whole number"),
    ({"action": "pick", "char": 0, "index": True}, "index must be a whole number"),
    ({"action": "model", "name": "../../etc/passwd"}, "is not one of the models served"),
    ({"action": "model", "name": str(DIGIT_MODEL)}, "is not one of the models served"),
])
def test_bad_actions_are_400s(client, action, says):
    reply = client.post("/pad", json=action)
    assert reply.status_code == 400 and says in reply.json()["error"]
    assert client.post("/pad", content=b"[]").status_code == 400
    assert act(client, None, "hello")["current"] == "mnist"


def test_bad_pngs_are_400s(client):
    def post(data):
        return client.post("/recognize", content=data, headers={"content-type": "image/png"})
    assert "not a PNG image" in post(b"GIF89a...").json()["error"]
    header = cv2.imencode(".png", np.full((8, 8), 255, np.uint8))[1].tobytes()
    huge = header[:16] + (100_000).to_bytes(4, "big") + (100_000).to_bytes(4, "big") + header[24:]
    assert "at most 40,000,000 pixels" in post(huge).json()["error"]  # a small file claiming 10 G pixels
    assert "a broken PNG image" in post(header[:40]).json()["error"]
    assert post(header).status_code == 200


def test_a_model_not_listed_is_not_served_even_if_its_file_is_there(tmp_path, monkeypatch, models):
    """Only what --list shows: a model folder's .h5 is served by its name; a path never is."""
    from starlette.testclient import TestClient

    from drawpad.actions import Models
    from drawpad.model_files import ENV, listed_models
    from drawpad.server import create_app
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "digits2.h5").write_bytes(b"listed by its name; the loader below reads no file")
    monkeypatch.setenv(ENV, str(folder))
    loads = []
    mine = Models(DIGIT_MODEL, listed_models(), lambda p: loads.append(p) or models.get("mnist"))
    client = TestClient(create_app(mine))
    assert "digits2" in client.get("/models").json()["models"]
    assert client.post("/recognize", json={"strokes": GA, "model": "digits2"}).status_code == 200
    reply = client.post("/recognize", json={"strokes": GA, "model": str(folder / "digits2.h5")})
    assert reply.status_code == 400 and loads == [folder / "digits2.h5"]


def test_drawpad_serve_says_where_warns_off_loopback_and_a_taken_port_is_one_line():
    need(DIGIT_MODEL)
    server = PadServer("--host", "0.0.0.0", "--no-save")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/models", timeout=30) as reply:
            assert json.loads(reply.read())["default"] == "mnist"
        taken = subprocess.run([sys.executable, "-m", "drawpad", "serve", "--port", str(server.port)], cwd=ROOT,
                               capture_output=True, text=True, timeout=120)
        assert taken.returncode == 2 and "Traceback" not in taken.stderr
        assert taken.stderr.splitlines()[-1].startswith(f"error: cannot listen on 127.0.0.1:{server.port} (")
    finally:
        assert server.close() == 130  # Ctrl+C, as for every drawpad command
    [warning] = server.stderr().splitlines()
    assert warning.startswith("warning: serving on 0.0.0.0: anyone who can reach this machine")


def test_replies_are_not_held_back_by_nagles_algorithm():
    """A reply's headers and body are two writes: with Nagle's algorithm on, the body waited for
    the client's delayed ACK, 40 ms a request (the round trip's target is 10 ms)."""
    import socket

    from drawpad.server import listen
    with listen("127.0.0.1", 0) as sock:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_on_loopback_only_this_machines_names_are_served_so_a_rebound_name_cannot_add_samples(models, tmp_path):
    from starlette.testclient import TestClient

    from drawpad.server import create_app
    local = TestClient(create_app(models, samples=tmp_path / "s"), base_url="http://127.0.0.1:8765")
    assert local.get("/models").status_code == 200
    rebound = TestClient(create_app(models, samples=tmp_path / "s"), base_url="http://evil.example:8765")
    assert rebound.post("/pad", json={"action": "recognize"}).status_code == 400
    opened = TestClient(create_app(models, samples=tmp_path / "s", loopback=False), base_url="http://pad.lan:8765")
    assert opened.get("/models").status_code == 200  # --host 0.0.0.0: names of this machine on the network


@pytest.fixture
def learning(models, tmp_path):
    """learning(*fake_args, every=N) -> (a client of a server whose pages learn with tests.web's
    stand-in for train.personalize, its Learner, the sessions of its pages with the events each got)."""
    from starlette.testclient import TestClient

    from drawpad import Recognizer
    from drawpad.learner import Learner
    from drawpad.server import create_app
    (tmp_path / "fake.py").write_text(FAKE_PERSONALIZE)
    learners, sessions = [], []

    class Watched(Learner):
        def attach(self, session):
            session.events = []
            session.listen(session.events.append)
            sessions.append(session)
            super().attach(session)

    def serve(*fake_args, every=2):
        def learn(session, **options):
            return Watched(session, lambda path: Recognizer.from_file(path, notice=lambda m: None), every=every,
                           models=tmp_path / "mine", command=[sys.executable, str(tmp_path / "fake.py"), *fake_args],
                           **options)
        app = create_app(models, samples=tmp_path / "samples", learn=learn)
        learners.append(app.state.learner)
        return TestClient(app), app.state.learner, sessions
    yield serve
    for learner in learners:
        learner.close()


def confirm(client, key, label="7"):
    """Draw a digit, read it, and confirm the reading (ENTER): one sample kept."""
    for stroke in digit_strokes(label):
        act(client, key, "stroke", points=stroke)
    assert act(client, key, "recognize")["characters"][0]["label"] == label
    return act(client, key, "enter")


def wait_for(client, key, done, seconds=60):
    """The page's view once `done(view)`, asking as the page does while it learns."""
    deadline = time.time() + seconds
    while not done(view := act(client, key, "hello")):
        assert time.time() < deadline, view
        time.sleep(0.1)
    return view


def test_after_n_samples_the_pages_learn_and_read_with_the_personal_model(learning, tmp_path):
    client, learner, _ = learning("--seconds", "0.5", every=2)
    key = act(client, None, "hello")["session"]
    other = act(client, None, "hello")["session"]  # another page, on the same model
    assert confirm(client, key)["learning"] == ""  # one sample: not yet
    view = confirm(client, key)
    assert view["learning"].startswith("learning your hand from 2 samples")
    assert act(client, other, "hello")["learning"] == view["learning"]
    mine = tmp_path / "mine" / "mnist-mine.h5"
    view = wait_for(client, key, lambda v: v["current"] == "mnist-mine")
    assert view["model"]["source"] == str(mine) and view["learning"] == ""
    assert view["message"] == "now reading with your personal model (mnist-mine.h5)"
    assert act(client, other, "hello")["current"] == "mnist-mine"  # every page drawing on that model
    view = confirm(client, key)  # the personal model reads, and keeps adding to the same samples
    assert view["samples"] == {"folder": str(tmp_path / "samples" / "mnist"), "count": 3}
    view = act(client, key, "base")
    assert view["current"] == "mnist" and view["model"]["source"] == str(DIGIT_MODEL)
    assert (tmp_path / "mine" / "runs.log").read_text().split() == ["start", "end"]


def test_learn_and_base_keys_and_two_pages_learn_one_at_a_time(learning, tmp_path, models):
    from starlette.testclient import TestClient

    from drawpad.server import create_app
    client, learner, _ = learning("--seconds", "3", every=100)
    a, b = act(client, None, "hello")["session"], act(client, None, "hello")["session"]
    assert act(client, a, "learn")["message"].startswith("nothing to learn from yet")
    assert act(client, a, "base")["message"] == "already reading with the base model"
    confirm(client, a)
    assert act(client, a, "learn")["learning"] == "learning your hand from 1 samples..."
    first = learner.proc
    confirm(client, b)
    assert act(client, b, "learn")["learning"]  # asked while a's run goes: it runs after it, not beside it
    assert learner.proc is first and first.poll() is None
    for key in (a, b):
        wait_for(client, key, lambda v: v["current"] == "mnist-mine" and v["learning"] == "")
    log = tmp_path / "mine" / "runs.log"
    assert wait_for(client, a, lambda v: len(log.read_text().split()) == 4)["current"] == "mnist-mine"
    assert log.read_text().split() == ["start", "end", "start", "end"]
    assert act(client, b, "base")["current"] == "mnist" and act(client, a, "hello")["current"] == "mnist-mine"
    no_save = TestClient(create_app(models, learn=lambda session, **options: pytest.fail("no samples, no Learner")))
    assert act(no_save, None, "learn")["message"] == "learning is off: no samples are kept (--no-save)"


def test_a_failed_run_leaves_the_page_on_its_model_with_one_line_said(learning, tmp_path):
    client, learner, sessions = learning("--fail", "no good", every=2)
    key = act(client, None, "hello")["session"]
    confirm(client, key)
    confirm(client, key)
    view = wait_for(client, key, lambda v: v["learning"] == "")
    assert view["current"] == "mnist" and view["message"] == "learning failed, the model in use goes on: no good"
    [session] = sessions
    assert [e.text for e in session.events if e.kind == "error"] == [view["message"]]
    assert confirm(client, key)["samples"]["count"] == 3  # the base model reads on
    assert not (tmp_path / "mine" / "mnist-mine.h5").exists()


def test_closing_the_server_stops_a_run_under_way(learning, tmp_path):
    client, learner, _ = learning("--seconds", "60", every=1)
    key = act(client, None, "hello")["session"]
    assert confirm(client, key)["learning"].startswith("learning your hand")
    proc = learner.proc
    started = time.time()
    learner.close()  # as serve() does when Ctrl+C stops the server
    assert proc.poll() is not None and time.time() - started < 10
    assert not (tmp_path / "mine" / "mnist-mine.h5").exists()


def test_a_start_model_that_fails_to_load_leaves_no_socket_listening(monkeypatch):
    from drawpad import server
    from drawpad.actions import Models
    from drawpad.errors import DrawpadError
    from drawpad.model_files import listed_models

    def broken(path):
        raise DrawpadError(f"{path}: not a model")
    opened = []
    monkeypatch.setattr(server, "listen",
                        lambda host, port: opened.append(server.socket.create_server((host, 0))) or opened[-1])
    with pytest.raises(DrawpadError, match="not a model"):
        server.serve(Models(DIGIT_MODEL, listed_models(), broken), port=0)
    assert opened[0].fileno() == -1  # closed
