"""The browser pad in a real browser: headless Chromium, driven by Selenium with real pointer
and key events, on `run_pad.py --serve` and on the notebook widget's front end in a page that
stands in for the notebook (its kernel side, drawpad.notebook.Pad, in this process)."""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest

from tests.conftest import DIGIT_MODEL, FAKE_PERSONALIZE, ROOT, need, own_data
from benchmarks.browser import PadServer
from tests.web import GA, browser, digit_strokes, straight

HANGUL_MODEL = DIGIT_MODEL.with_name("hangul.h5")
SCREENSHOT = ROOT / "docs" / "browser.png"
TAB, ENTER, BACKSPACE = "\ue004", "\ue007", "\ue003"  # selenium's Keys


@pytest.fixture
def chromium():
    driver = browser()
    yield driver
    driver.quit()


class Page:
    """The pad on a page: draw with the pointer, press keys, read what it shows."""

    def __init__(self, driver, root: str):
        from selenium.webdriver.common.by import By
        self.driver, self.by = driver, By
        self.root = driver.find_element(By.CSS_SELECTOR, root)
        self.wait("ready", "1")
        self.canvas = self.root.find_element(By.CSS_SELECTOR, "canvas")
        left, top, width, height = driver.execute_script(
            "const r = arguments[0].getBoundingClientRect(); return [r.left, r.top, r.width, r.height]", self.canvas)
        # At 1:1, a pointer at whole CSS pixels lands on whole canvas pixels: the strokes sent are the ones drawn.
        assert (width, height) == (960, 400), (width, height)
        self.origin = (left, top)

    def wait(self, key, value, timeout=30):
        deadline = time.time() + timeout
        while self.root.get_attribute(f"data-{key}") != value:
            assert time.time() < deadline, f"data-{key} never became {value}: {self.message()}"
            time.sleep(0.02)

    def idle(self):
        self.wait("busy", "0")

    def draw(self, strokes):
        """Real pointer events: down, a move to each point (no interpolated moves between), up."""
        from selenium.webdriver.common.action_chains import ActionChains
        chain = ActionChains(self.driver, duration=0)
        pointer = chain.w3c_actions.pointer_action
        for stroke in strokes:
            x, y = stroke[0]
            pointer.move_to_location(self.origin[0] + x, self.origin[1] + y)
            pointer.pointer_down()
            for x, y in stroke[1:]:
                pointer.move_to_location(self.origin[0] + x, self.origin[1] + y)
            pointer.pointer_up()
        chain.perform()
        self.idle()

    def keys(self, *keys):
        from selenium.webdriver.common.action_chains import ActionChains
        for key in keys:  # one at a time, as a person types: each action's reply shown before the next
            ActionChains(self.driver).send_keys(key).perform()
            self.idle()

    def guesses(self) -> list[list[tuple[str, str]]]:
        """Each character's guesses as shown: (label, percentage)."""
        rows = self.root.find_elements(self.by.CSS_SELECTOR, ".dp-guesses > li")
        single = rows and "dp-guess" in rows[0].get_attribute("class")
        rows = [rows] if single else [r.find_elements(self.by.CSS_SELECTOR, ".dp-small") for r in rows]
        return [[(g.find_element(self.by.CSS_SELECTOR, ".dp-label").text,
                  g.find_element(self.by.CSS_SELECTOR, ".dp-percent").text) for g in row] for row in rows]

    def text(self) -> str:
        return self.root.find_element(self.by.CSS_SELECTOR, ".dp-text").get_attribute("textContent")

    def message(self) -> str:
        return self.root.find_element(self.by.CSS_SELECTOR, ".dp-message").text


def window_guesses(model, strokes, bars: bool):
    """The same strokes on the window's path (a pad session: drawpad.canvas, the Recognizer),
    formatted as the page shows them."""
    from drawpad import Recognizer
    from drawpad.session import Session
    session = Session(Recognizer.from_file(model, notice=lambda m: None))
    for stroke in strokes:
        session.add_stroke(stroke)
    session.recognize()
    digits = 1 if bars else 0
    return [[(g.label, f"{g.probability * 100:.{digits}f}%") for g in session.guesses(i)]
            for i in range(len(session.characters))]


def test_draw_a_seven_keys_and_the_same_guesses_as_the_window(chromium, tmp_path):
    need(DIGIT_MODEL)
    server = PadServer("--samples", str(tmp_path), env=own_data(tmp_path))  # P below starts a personalization
    try:
        chromium.get(server.url)
        page = Page(chromium, "#pad")
        page.keys(" ")
        assert page.message() == "draw something first"
        seven = digit_strokes("7")
        page.draw(seven)
        page.keys(" ")
        [guesses] = page.guesses()
        assert guesses[0][0] == "7", guesses
        assert [guesses] == window_guesses(DIGIT_MODEL, seven, bars=True)
        page.keys(TAB)  # guesses 4-6
        [more] = page.guesses()
        assert len(more) == 3 and not {g for g, _ in more} & {g for g, _ in guesses}
        assert page.message() == "guesses 4-6: 1-5 picks one"
        page.keys("2")  # it was guess 5: kept as a sample, where the window keeps them
        assert page.message().startswith(f"kept {more[1][0]}: 1 sample of mnist")
        assert len(list((tmp_path / "mnist" / more[1][0]).glob("*.png"))) == 1
        page.keys(ENTER)
        assert page.text() == more[1][0]
        page.keys(BACKSPACE)
        assert page.text() == ""
        page.draw(seven)
        page.keys("z")
        assert page.message() == "undone"
        page.keys("l")  # live: read when the pen goes up
        page.draw(seven)
        assert page.guesses()[0][0][0] == "7"
        page.keys("c")
        assert page.guesses() == [] and page.message() == "cleared"
        page.keys("l")

        # A line of three, for the README: its boxes, its reading, each character's guesses.
        one = straight((150, 80), (150, 360))
        seven = [[300, 90]] + [[300 + 10 * i, 90] for i in range(1, 15)] + \
                [[440 - 7 * i, 90 + 16 * i] for i in range(1, 15)]
        zero = [[650 + round(70 * np.sin(t)), 200 - round(115 * np.cos(t))] for t in np.linspace(0, 6.4, 40)]
        page.draw([one, seven, zero])
        page.keys(" ")
        line = page.guesses()
        assert [g[0][0] for g in line] == ["1", "7", "0"]
        assert line == window_guesses(DIGIT_MODEL, [one, seven, zero], bars=False)
        screenshot(page.root.screenshot_as_png)
        page.keys("b")
        assert page.message() == "already reading with the base model"
        page.keys("p")  # learn from the sample kept above: train.personalize, stopped as the server stops
        learning = page.root.find_element(page.by.CSS_SELECTOR, ".dp-learning").text
        assert learning == "learning your hand from 1 samples...", learning
    finally:
        assert server.close() == 130
    assert (tmp_path / "data" / "drawpad" / "models").is_dir()  # where the run was writing


def screenshot(png: bytes) -> None:
    """docs/browser.png for the README, rewritten only when what the page shows has changed."""
    new = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert new.shape[1] > 900 and new.std() > 10  # the pad, not a blank page
    old = cv2.imread(str(SCREENSHOT), cv2.IMREAD_COLOR) if SCREENSHOT.is_file() else None
    if old is None or old.shape != new.shape or (old != new).any():
        SCREENSHOT.write_bytes(png)


def test_the_page_shows_learning_then_reads_with_the_personal_model(chromium, tmp_path):
    """The page asks how learning goes while it does, and shows the personal model once it is
    swapped in: drawpad.server in this process, learning with a stand-in for train.personalize."""
    import uvicorn

    from drawpad import Recognizer
    from drawpad.actions import Models
    from drawpad.learner import Learner
    from drawpad.server import create_app, listen
    need(DIGIT_MODEL)
    (tmp_path / "fake.py").write_text(FAKE_PERSONALIZE)
    def load(path):
        return Recognizer.from_file(path, notice=lambda m: None)
    fake = [sys.executable, str(tmp_path / "fake.py"), "--seconds", "1"]
    app = create_app(Models(DIGIT_MODEL, {}, load), samples=tmp_path / "samples",
                     learn=lambda session, **options: Learner(session, load, every=1, models=tmp_path / "mine",
                                                              command=fake, **options))
    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        chromium.get(f"http://127.0.0.1:{sock.getsockname()[1]}/")
        page = Page(chromium, "#pad")

        def shown(css):
            return page.root.find_element(page.by.CSS_SELECTOR, css).text
        page.draw(digit_strokes("7"))
        page.keys(" ", ENTER)  # a sample kept: learning starts
        assert shown(".dp-learning") == "learning your hand from 1 samples...", page.message()
        deadline = time.time() + 30
        while not shown(".dp-header").startswith("mnist-mine: "):  # no key pressed: the page asks
            assert time.time() < deadline, (shown(".dp-header"), page.message())
            time.sleep(0.1)
        page.idle()
        assert shown(".dp-learning") == ""
        assert page.message() == "now reading with your personal model (mnist-mine.h5)"
        assert page.root.find_element(page.by.CSS_SELECTOR, "select").get_attribute("value") == "mnist-mine"
        page.keys("b")
        assert shown(".dp-header").startswith("mnist: ")
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.learner.close()


def test_a_hangul_syllable_after_switching_models_with_m_then_the_buttons_and_the_list(chromium):
    need(HANGUL_MODEL)
    server = PadServer("--no-save")
    try:
        chromium.get(server.url)
        page = Page(chromium, "#pad")
        page.keys("m")
        assert page.root.find_element(page.by.CSS_SELECTOR, "select").get_attribute("value") == "hangul"
        page.draw(GA)
        page.keys(" ")
        [guesses] = page.guesses()
        assert len(guesses) == 5 and guesses[0][0] == "가", guesses
        assert [guesses] == window_guesses(HANGUL_MODEL, GA, bars=True)
        page.root.find_element(page.by.CSS_SELECTOR, "button[data-action=clear]").click()
        page.idle()
        assert page.guesses() == [] and page.message() == "cleared"
        page.keys(" ")  # the button clicked does not keep the keys (SPACE on it would clear again)
        assert page.message() == "draw something first"
        from selenium.webdriver.support.select import Select
        Select(page.root.find_element(page.by.CSS_SELECTOR, "select")).select_by_value("mnist")
        page.idle()
        assert page.root.find_element(page.by.CSS_SELECTOR, ".dp-header").text.startswith("mnist: top 3")
        page.keys("l")  # nor does the list chosen from
        assert page.message() == "live mode on"
    finally:
        assert server.close() == 130


STAND_IN = """<!doctype html><meta charset="utf-8"><link rel="stylesheet" href="pad.css">
<div id="elsewhere" tabindex="0">another cell</div><div id="cell"></div>
<script type="module">
// What a notebook gives an anywidget: a model whose custom messages go to the kernel and back.
import widget from "./pad.js";
const listeners = [];
const model = {
  send(content) {
    fetch("comm", {method: "POST", body: JSON.stringify(content)}).then((r) => r.json())
      .then((replies) => replies.forEach((m) => listeners.forEach((l) => l(m))));
  },
  on(name, callback) { if (name === "msg:custom") listeners.push(callback); },
  off(name, callback) { listeners.splice(listeners.indexOf(callback), 1); },
  get() {},
};
window.notebookKeys = 0;  // keys that reach the notebook: none from inside the widget
document.addEventListener("keydown", () => window.notebookKeys++);
widget.render({model, el: document.getElementById("cell")});
</script>"""


@pytest.fixture
def notebook(tmp_path):
    """A page standing in for the notebook, its widget's kernel side in this process: each
    message the front end sends is handed to the widget as the kernel's comm hands it."""
    from drawpad.notebook import WEB, Pad
    need(DIGIT_MODEL)
    pad = Pad(DIGIT_MODEL, samples=tmp_path)
    replies = []
    pad.send = replies.append

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            files = {"/": (STAND_IN.encode(), "text/html"), "/pad.js": ((WEB / "pad.js").read_bytes(), "text/javascript"),
                     "/pad.css": ((WEB / "pad.css").read_bytes(), "text/css")}
            self.reply(*files.get(self.path, (b"", "text/plain")))

        def do_POST(self):
            content = json.loads(self.rfile.read(int(self.headers["content-length"])))
            replies.clear()
            pad._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})
            self.reply(json.dumps(replies).encode(), "application/json")

        def reply(self, data, kind):
            self.send_response(200 if data else 404)
            self.send_header("content-type", f"{kind}; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield pad, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_notebook_widget_draws_reads_and_keeps_its_keys_to_itself(chromium, notebook, tmp_path):
    pad, url = notebook
    chromium.get(url)
    page = Page(chromium, "#cell")
    seven = digit_strokes("7")
    page.draw(seven)  # drawing gives the widget the keys
    page.keys(" ")
    [guesses] = page.guesses()
    assert guesses[0][0] == "7" and [guesses] == window_guesses(DIGIT_MODEL, seven, bars=True)
    page.keys(ENTER)
    assert page.text() == "7" and pad.session.text == "7"  # the kernel's session
    assert len(list((tmp_path / "mnist" / "7").glob("*.png"))) == 1
    page.draw(seven)
    assert chromium.execute_script("return window.notebookKeys") == 0
    chromium.find_element(page.by.ID, "elsewhere").click()
    page.keys("c")  # a key in another cell: the notebook's, not the pad's
    assert pad.session.canvas.strokes and chromium.execute_script("return window.notebookKeys") == 1
