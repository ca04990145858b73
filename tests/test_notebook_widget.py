"""The notebook widget's kernel side (drawpad.notebook.Pad) without a browser: the messages the
front end (drawpad/web/pad.js) sends, handed over as the kernel's comm hands them."""
import pytest

from tests.conftest import DIGIT_MODEL, need
from tests.web import digit_strokes


@pytest.fixture
def pad(tmp_path):
    from drawpad.notebook import Pad
    need(DIGIT_MODEL)
    widget = Pad(DIGIT_MODEL, samples=tmp_path)
    widget.replies = []
    widget.send = widget.replies.append  # what goes back to the front end
    return widget


def message(pad, content):
    """Hand `content` to the widget as the comm does a custom message from the front end."""
    pad.replies.clear()
    pad._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})
    return pad.replies


def test_the_front_ends_actions_drive_the_session_and_each_gets_its_reply(pad, tmp_path):
    [hello] = message(pad, {"id": "x-1", "action": "hello"})
    assert hello["id"] == "x-1" and hello["view"]["current"] == "mnist"
    assert hello["view"]["canvas"] == {"width": 960, "height": 400, "pen": 16}
    for k, stroke in enumerate(digit_strokes("7")):
        message(pad, {"id": f"x-{k + 2}", "action": "stroke", "points": stroke})
    [reply] = message(pad, {"id": "x-9", "action": "recognize"})
    view = reply["view"]
    assert reply["id"] == "x-9" and view["characters"][0]["guesses"][0]["label"] == "7"
    [reply] = message(pad, {"id": "x-10", "action": "pick", "char": 0, "index": 1})  # it was the 2nd guess
    second = view["characters"][0]["guesses"][1]["label"]
    assert reply["view"]["characters"][0]["label"] == second
    assert len(list((tmp_path / "mnist" / second).glob("*.png"))) == 1  # where the window keeps samples
    [reply] = message(pad, {"id": "x-11", "action": "enter"})
    assert reply["view"]["text"] == second == pad.session.text


def test_a_bad_action_is_an_error_reply_and_other_messages_are_not_answered(pad):
    [reply] = message(pad, {"id": "x-1", "action": "model", "name": "/etc/passwd"})
    assert reply == {"id": "x-1", "error": "'/etc/passwd' is not one of the models served: "
                                           + ", ".join(pad.models.names)}
    [reply] = message(pad, {"id": "x-2", "action": "stroke", "points": [[1, float("nan")]]})
    assert reply["error"].startswith("a point is [x, y], two finite numbers")
    assert message(pad, {"kind": "anywidget-command", "name": "x"}) == []  # anywidget's own
    [reply] = message(pad, {"id": "x-3", "action": "hello"})
    assert reply["view"]["strokes"] == []


def test_the_widget_is_the_pages_module_and_a_short_name_finds_a_model():
    from drawpad.notebook import WEB, Pad
    widget = Pad("hangul", samples=None, top=2)
    module = (WEB / "pad.js").read_text(encoding="utf-8")
    assert widget._esm == module and "export default" in module and "render({model, el})" in module
    assert widget._css == (WEB / "pad.css").read_text(encoding="utf-8")
    assert widget.session.rec.labels[0] == "가" and widget.session.top == 2 and widget.session.store is None
