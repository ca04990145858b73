"""Glyphs redrawn as with a mouse (data_tools/pen.py): on shapes drawn here, on a font if there."""
from pathlib import Path

import cv2
import numpy as np
import pytest

from data_tools.pen import WIDTH, move_parts, redraw
from data_tools.synth import stroke_width

SIZE = 64
NANUM = "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"


def page() -> np.ndarray:
    """An empty rendering as data_tools.synth._render_gray makes for SIZE: 3 * SIZE square."""
    return np.zeros((3 * SIZE, 3 * SIZE), np.float32)


def ink(img: np.ndarray) -> np.ndarray:
    return (img > 0.5).astype(np.uint8)


def glyph() -> np.ndarray:
    """A syllable-like shape: a ㄱ, a ㅏ and a ㄴ, anti-aliased, 6 px strokes."""
    img = page()
    cv2.polylines(img, [np.array([[70, 70], [95, 70], [90, 110]])], False, 1.0, 6, cv2.LINE_AA)
    cv2.polylines(img, [np.array([[112, 62], [112, 118]]), np.array([[112, 90], [124, 90]])],
                  False, 1.0, 6, cv2.LINE_AA)
    cv2.polylines(img, [np.array([[75, 122], [75, 132], [120, 132]])], False, 1.0, 6, cv2.LINE_AA)
    return img


def line() -> np.ndarray:
    img = page()
    cv2.ellipse(img, (96, 96), (30, 20), 20, 0, 250, 1.0, 5, cv2.LINE_AA)
    return img


def box(img: np.ndarray) -> np.ndarray:
    x, y, w, h = cv2.boundingRect(ink(img))
    return np.array([x, y, x + w, y + h])


def components(img: np.ndarray) -> np.ndarray:
    """Centroids of the connected parts of the ink."""
    return cv2.connectedComponentsWithStats(ink(img), connectivity=8)[3][1:]


@pytest.fixture(scope="module")
def font_glyph():
    if not Path(NANUM).is_file():
        pytest.skip("fonts-nanum not installed (apt-get install fonts-nanum)")
    from data_tools.synth import _render_gray
    return _render_gray(NANUM, "가", SIZE)


def test_redraw_keeps_shape_dtype_range_and_the_glyphs_box():
    g = glyph()
    for seed in range(8):
        out = redraw(g, np.random.default_rng(seed), SIZE)
        assert out.dtype == np.float32 and out.shape == g.shape
        assert out.min() >= 0 and out.max() <= 1
        assert np.abs(box(out) - box(g)).max() <= 0.2 * SIZE, seed


def test_redraw_draws_new_strokes_not_the_old_ones():
    g = glyph()
    out = redraw(g, np.random.default_rng(0), SIZE)
    changed = ink(out) != ink(g)
    assert changed.sum() > 0.2 * ink(g).sum()


def test_redraw_is_deterministic_for_a_seed_and_varies_across_seeds():
    g = glyph()
    a, b = (redraw(g, np.random.default_rng(3), SIZE) for _ in range(2))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, redraw(g, np.random.default_rng(4), SIZE))


@pytest.mark.parametrize("width", [WIDTH[0], 6.0, None])
def test_a_single_line_stays_one_connected_stroke(width):
    for seed in range(15):
        out = redraw(line(), np.random.default_rng(seed), SIZE, width=width)
        assert len(components(out)) == 1, (seed, width)


def test_a_line_stays_connected_even_where_its_points_move_apart(monkeypatch):
    from data_tools import pen
    monkeypatch.setattr(pen, "CYCLES", (10, 15))  # neighbours moved up to a few px apart
    for seed in range(15):
        out = redraw(line(), np.random.default_rng(seed), SIZE, width=WIDTH[0])
        assert len(components(out)) == 1, seed


def test_the_pen_width_decides_the_stroke_width():
    g = glyph()
    thin, thick = (stroke_width(redraw(g, np.random.default_rng(0), SIZE, width=w)) for w in (3, 9))
    assert 2 <= thin <= 4.5 and 7 <= thick <= 11 and thick > 2 * thin, (thin, thick)


def test_a_random_pen_is_never_thinner_than_the_thinnest_nor_thicker_than_the_thickest():
    g = glyph()
    widths = [stroke_width(redraw(g, np.random.default_rng(s), SIZE)) for s in range(12)]
    assert min(widths) >= WIDTH[0] - 0.5 and max(widths) <= WIDTH[1] * SIZE + 3, widths
    assert max(widths) - min(widths) > 2, widths


def test_the_redrawn_font_glyph_stays_on_its_strokes(font_glyph):
    near = cv2.dilate(ink(font_glyph), np.ones((2 * round(0.1 * SIZE) + 1,) * 2, np.uint8)) > 0
    for seed in range(5):
        out = ink(redraw(font_glyph, np.random.default_rng(seed), SIZE))
        assert out[near].sum() >= 0.95 * out.sum(), seed
        assert np.abs(box(out) - box(font_glyph)).max() <= 0.2 * SIZE, seed


@pytest.mark.parametrize("fn", [redraw, move_parts])
def test_an_empty_image_gives_an_empty_image(fn):
    out = fn(np.zeros((50, 70), np.float32), np.random.default_rng(0), SIZE)
    assert out.dtype == np.float32 and out.shape == (50, 70) and not out.any()


def test_move_parts_moves_and_scales_each_part_a_little_on_its_own():
    g = glyph()
    before = components(g)
    assert len(before) == 3
    shifts = []
    for seed in range(6):
        out = move_parts(g, np.random.default_rng(seed), SIZE)
        assert out.dtype == np.float32 and out.shape == g.shape
        after = components(out)
        assert len(after) == 3, seed
        # Well-separated parts: each one's match is the nearest centroid.
        shift = np.array([np.min(np.hypot(*(after - c).T)) for c in before])
        assert shift.max() <= 0.05 * SIZE * np.sqrt(2) + 1, (seed, shift)
        shifts.append(shift)
    shifts = np.array(shifts)
    assert (shifts.max(1) > 0.5).all()  # every time something moved
    assert shifts.std(1).mean() > 0.2  # and the parts not all alike


def test_move_parts_leaves_specks_where_they_are():
    g = glyph()
    g[20:22, 20:22] = 1.0
    out = move_parts(g, np.random.default_rng(0), SIZE)
    np.testing.assert_array_equal(out[15:27, 15:27], g[15:27, 15:27])


def test_stroke_ends_run_on_along_the_stroke_and_some_hook_away():
    from data_tools.pen import (HOOK, HOOK_TURN, OVERSHOOT, _end_directions, _flourishes,
                                _skeleton_graph)
    bar = np.zeros((9, 60), bool)
    bar[3:6, 5:55] = True
    points, pairs = _skeleton_graph(bar)
    ends, backs = _end_directions(pairs, len(points), 5)
    assert sorted(points[ends, 0]) == [points[:, 0].min(), points[:, 0].max()]
    assert np.abs(points[ends, 0] - points[backs, 0]).max() <= 5
    away = points[ends] - points[backs]
    away /= np.hypot(*away.T)[:, None]
    runs = hooks = 0
    for seed in range(30):
        for a, b in _flourishes(points, ends, backs, np.random.default_rng(seed), SIZE):
            end = np.argmin(np.abs(points[ends, 0] - a[0]))  # the nearer end of the bar
            length = np.hypot(*(b - a))
            turn = np.degrees(np.arccos(np.clip((b - a) @ away[end] / length, -1, 1)))
            if turn < 1:  # an overshoot: from the end, on along the stroke
                runs += 1
                assert np.allclose(a, points[ends[end]]) and length <= OVERSHOOT * SIZE
            else:  # a hook: short, turned away from the stroke
                hooks += 1
                assert HOOK[0] * SIZE - 1e-9 <= length <= HOOK[1] * SIZE + 1e-9
                assert HOOK_TURN[0] - 1e-6 <= turn <= HOOK_TURN[1] + 1e-6
    assert 15 <= runs <= 45 and 5 <= hooks <= 25, (runs, hooks)


# Cursive: on shapes whose cursive forms are known.

def jamo() -> np.ndarray:
    """Two separate strokes: a bar and, beside its right end, the top of a stem (14 px apart)."""
    img = page()
    cv2.line(img, (70, 80), (100, 80), 1.0, 5)
    cv2.line(img, (110, 88), (110, 130), 1.0, 5)
    return img


def digeut() -> np.ndarray:
    """A final ㄷ, small: its two free ends 12 px apart, paper between."""
    img = page()
    cv2.polylines(img, [np.array([[104, 100], [88, 100], [88, 112], [104, 112]])], False, 1.0, 3)
    return img


def test_a_cursive_redraw_keeps_shape_range_and_box_and_is_deterministic():
    g = glyph()
    for seed in range(6):
        out = redraw(g, np.random.default_rng(seed), SIZE, cursive=True)
        assert out.dtype == np.float32 and out.shape == g.shape and 0 <= out.min() and out.max() <= 1
        assert np.abs(box(out) - box(g)).max() <= 0.2 * SIZE, seed
    a, b = (redraw(g, np.random.default_rng(3), SIZE, cursive=True) for _ in range(2))
    np.testing.assert_array_equal(a, b)


def test_cursive_joins_nearby_strokes_without_lifting_the_pen_some_of_the_time():
    g = jamo()
    assert len(components(g)) == 2
    joined = [len(components(redraw(g, np.random.default_rng(s), SIZE, width=4, cursive=True))) == 1
              for s in range(16)]
    assert 3 <= sum(joined) <= 13, joined  # JOIN_P of the time, not always, not never


def test_cursive_never_closes_a_shape_by_joining_the_ends_of_one_stroke():
    g = digeut()
    inside = np.zeros(g.shape, bool)
    inside[103:110, 100:108] = True  # across the open side, between the ends
    for s in range(40):
        out = ink(redraw(g, np.random.default_rng(s), SIZE, width=3, cursive=True))
        holes = cv2.connectedComponents(1 - out, connectivity=4)[0] - 1  # paper areas: 1 when open
        assert holes == 1, s


def test_cursive_cuts_a_short_end_stroke_to_a_tick_but_leaves_long_strokes():
    from data_tools.pen import _skeleton_graph, _ticks
    t = np.zeros((80, 80), bool)
    t[40:43, 5:75] = True   # a long bar
    t[30:40, 38:41] = True  # a short stub on it, 10 px (TICK * SIZE is 9.6)
    t[43:50, 38:41] = True
    points, pairs = _skeleton_graph(t)
    for seed in range(5):
        keep = _ticks(pairs, len(points), np.random.default_rng(seed), 80)
        gone = points[~keep]
        assert len(gone) > 0, seed
        assert (np.abs(gone[:, 0] - 39) <= 1).all(), seed  # only the stubs lose points
        assert points[keep][:, 0].min() <= 6 and points[keep][:, 0].max() >= 73  # the bar keeps its ends


def test_cursive_rounds_corners_keeps_straight_runs_and_holds_stroke_ends():
    from data_tools.pen import _end_directions, _round_corners, _skeleton_graph
    sq = np.zeros((192, 192), bool)
    cv2.rectangle(sq.view(np.uint8), (70, 70), (122, 122), 1, 4)
    ell = np.zeros((192, 192), bool)  # a ㄴ: two strokes, a corner, two free ends
    cv2.polylines(ell.view(np.uint8), [np.array([[40, 20], [40, 150], [170, 150]])], False, 1, 4)
    for img in (sq, ell):
        points, pairs = _skeleton_graph(img)
        ends = _end_directions(pairs, len(points), 1)[0]
        out = _round_corners(points, pairs, ends, np.zeros(len(points), int), 6.0)
        corner = np.argmin(np.hypot(*(points - points.min(0)).T))  # the top-left (ㄴ: bottom-left) corner
        corner = corner if img is sq else np.argmin(np.hypot(points[:, 0] - 40, points[:, 1] - 150))
        assert np.hypot(*(out[corner] - points[corner])) > 2, img is sq  # pulled inside
        middle = np.argmin(np.hypot(points[:, 0] - 96, points[:, 1] - points[:, 1].max()))
        assert np.hypot(*(out[middle] - points[middle])) < 0.5  # a straight run stays
        np.testing.assert_array_equal(out[ends], points[ends])  # the ends are held
    assert len(ends) == 2


def test_rounding_a_loop_keeps_its_size():
    from data_tools.pen import _end_directions, _round_corners, _skeleton_graph
    ring = np.zeros((192, 192), np.uint8)
    cv2.circle(ring, (96, 96), 8, 1, 2)
    points, pairs = _skeleton_graph(ring > 0)
    ends = _end_directions(pairs, len(points), 1)[0]
    assert ends == []
    out = _round_corners(points, pairs, ends, np.zeros(len(points), int), 0.12 * SIZE)
    before, after = (np.hypot(*(q - points.mean(0)).T).mean() for q in (points, out))
    assert abs(after / before - 1) < 0.05, (before, after)


def test_squeeze_bottom_squeezes_only_the_lowest_part():
    from data_tools.pen import squeeze_bottom
    g = page()
    cv2.rectangle(g, (60, 40), (130, 100), 1.0, -1)  # the top part
    cv2.rectangle(g, (60, 130), (130, 160), 1.0, -1)  # the bottom part
    for seed in range(4):
        out = squeeze_bottom(g, np.random.default_rng(seed))
        np.testing.assert_array_equal(ink(out)[:100], ink(g)[:100])
        rows = np.nonzero(ink(out).any(1))[0]
        assert 136 <= rows[-1] <= 157, rows[-1]  # the bottom rose: 100 + 60 * (0.6..0.9) at most
        assert ink(out)[100:].sum() < 0.92 * ink(g)[100:].sum()
