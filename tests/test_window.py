"""The real pad window, driven by X mouse and key events (Xvfb + xdotool)."""
from tests.conftest import DIGIT_MODEL, need
from tests.window import PadWindow, xvfb  # noqa: F401 (fixture)


def test_draw_a_digit_press_space_read_the_prediction(xvfb):
    need(DIGIT_MODEL)
    pad = PadWindow(xvfb)
    try:
        pad.key("space")
        assert pad.next_line("draw something") == "draw something first"
        # A "7": top bar, then the diagonal down.
        pad.stroke([(140, 110)] + [(140 + 10 * i, 110) for i in range(1, 21)] +
                   [(340 - 7 * i, 110 + 16 * i) for i in range(1, 16)])
        pad.key("space")
        line = pad.next_line("prediction: ")
        assert line.split()[1] == "7", line
        pad.key("c")
        pad.stroke([(240, 80)] + [(240, 80 + 20 * i) for i in range(1, 16)])  # a "1"
        pad.key("space")
        assert pad.next_line("prediction: ").split()[1] == "1"
    finally:
        assert pad.close() == 0
