"""Font glyphs redrawn as if with a mouse or a quick pen: centre lines as pen paths, parts
moved apart, and cursively (corners rounded, short strokes cut to ticks, nearby stroke ends
joined as a pen that is not lifted joins them, the last part squeezed).

Used by the font synthesizer (data_tools/synth.py) and the real-handwriting reader
(data_tools/handwriting.py) next to the distortions in data_tools/distort.py. Images are
float32 0..1, ink-high (white on black), of a glyph rendered at `size` px; every length
here is a fraction of `size`.
"""
from __future__ import annotations

import cv2
import numpy as np
from skimage.morphology import skeletonize

WOBBLE = 0.04          # most a centre line is displaced, smoothly
WAVES = 3              # sinusoids per axis in the wobble field
CYCLES = (0.5, 1.5)    # their frequencies, cycles per `size`: a hand's drift, not jitter
OVERSHOOT = 0.08       # most a stroke end runs on along its direction
OVERSHOOT_P = 0.5      # share of ends that do
HOOK = (0.03, 0.05)    # length of the flick a pen makes when it lands or lifts
HOOK_TURN = (60, 150)  # its angle away from the stroke, degrees
HOOK_P = 0.25          # share of ends that have one
WIDTH = (2.5, 0.15)    # pen width: thinnest px (thinner breaks up once binarized), thickest * size
COVER = 0.4            # a random pen is at most this share of the glyph's mean stroke spacing
BACK = 1 / 12          # how far back (* size) along the stroke an end's direction is read
SHIFT = 0.05           # move_parts: most a part moves, per axis
SCALE = (0.9, 1.1)     # move_parts: its scale about its own centre
SPECK = 0.002          # move_parts: parts smaller than this * size**2 px stay where they are
# Cursive (redraw(cursive=True)), from how the cursive writer of hangul-hand writes:
ROUND = (0.04, 0.12)   # corners rounded over about this * size: ㅁ, ㅇ, ㄹ as quick loops
TICK = 0.15            # an end stroke shorter than this * size (ㅕ's bars, ㅊ's top) ...
TICK_CUT = (0.3, 0.7)  # ... loses this share of its length, from its free end
JOIN = 0.25            # stroke ends closer than this * size, with paper between them, ...
JOIN_P = 0.5           # ... are joined by the pen this often: ㅕ's bars as one zigzag
SQUEEZE = (0.6, 0.9)   # squeeze_bottom: the lowest part's height scaled by this
RISE = 0.25            # most rise of the horizontals (affine's rise; tan 14 degrees)

_SUB = 16  # cv2 drawing with shift=4: coordinates in 1/16 px, so the wobble is not rounded away
# Half of the 8 neighbour offsets (dy, dx): each skeleton edge is found once.
_HALF = np.array([[0, 1], [1, -1], [1, 0], [1, 1]])


def _skeleton_graph(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Skeleton points (N x 2, x y) and their 8-neighbour pairs (E x 2 indices)."""
    ys, xs = np.nonzero(skeletonize(ink))
    idx = np.full((ink.shape[0] + 2, ink.shape[1] + 2), -1, np.int64)
    idx[ys + 1, xs + 1] = np.arange(len(ys))
    j = idx[ys[:, None] + 1 + _HALF[:, 0], xs[:, None] + 1 + _HALF[:, 1]]
    i, k = np.nonzero(j >= 0)
    return np.stack([xs, ys], 1).astype(np.float64), np.stack([i, j[i, k]], 1)


def _wobble(points: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """A smooth random displacement of each point, at most WOBBLE * size * (0.25..1)."""
    u = rng.random((4, 2, WAVES))  # per axis and wave: direction, frequency, phase, weight
    freq = (CYCLES[0] + (CYCLES[1] - CYCLES[0]) * u[1]) * 2 * np.pi / size
    k = np.stack([np.cos(2 * np.pi * u[0]), np.sin(2 * np.pi * u[0])], -1) * freq[..., None]
    waves = np.sin(np.einsum("nc,awc->naw", points, k) + 2 * np.pi * u[2])
    field = (waves * (0.5 + 0.5 * u[3])).sum(-1)
    amp = rng.uniform(0.25, 1.0) * WOBBLE * size
    return points + field * (amp / np.maximum(np.abs(field).max(0), 1e-6))


def _neighbours(pairs: np.ndarray, n: int) -> tuple[list[int], list[int]]:
    """Adjacency lists: point i's neighbours are nbr[start[i]:start[i + 1]]."""
    both = np.concatenate([pairs, pairs[:, ::-1]])
    both = both[np.argsort(both[:, 0], kind="stable")]
    return np.searchsorted(both[:, 0], np.arange(n + 1)).tolist(), both[:, 1].tolist()


def _end_directions(pairs: np.ndarray, n: int, steps: int) -> tuple[list[int], list[int]]:
    """Stroke ends (one neighbour) and, for each, the point `steps` back along its stroke
    (or the last before a junction)."""
    start, nbr = _neighbours(pairs, n)
    ends = [i for i in range(n) if start[i + 1] - start[i] == 1]
    backs = []
    for end in ends:
        prev, cur = -1, end
        for _ in range(steps):
            nxt = [j for j in nbr[start[cur]:start[cur + 1]] if j != prev]
            if len(nxt) != 1:
                break
            prev, cur = cur, nxt[0]
        backs.append(cur)
    return ends, backs


def _flourishes(pts: np.ndarray, ends: list[int], backs: list[int],
                rng: np.random.Generator, size: int) -> np.ndarray:
    """Overshoot and hook segments (K x 2 x (x y)) at some stroke ends."""
    end = pts[ends]
    d = end - pts[backs]
    d /= np.maximum(np.hypot(d[:, 0], d[:, 1]), 1e-6)[:, None]
    # Per end: overshoot?, its length, hook?, its length, its turn, its side.
    u = rng.random((6, len(ends)))
    run = (u[0] < OVERSHOOT_P) * u[1] * OVERSHOOT * size
    tip = end + d * run[:, None]
    a = np.deg2rad(HOOK_TURN[0] + (HOOK_TURN[1] - HOOK_TURN[0]) * u[4])
    a = np.where(u[5] < 0.5, -a, a)
    turn = np.stack([np.cos(a) * d[:, 0] - np.sin(a) * d[:, 1],
                     np.sin(a) * d[:, 0] + np.cos(a) * d[:, 1]], 1)
    hook = tip + turn * ((HOOK[0] + (HOOK[1] - HOOK[0]) * u[3]) * size)[:, None]
    return np.concatenate([np.stack([end, tip], 1)[run > 0],
                           np.stack([tip, hook], 1)[u[2] < HOOK_P]])


def _round_corners(points: np.ndarray, pairs: np.ndarray, ends: list[int], part: np.ndarray,
                   radius: float) -> np.ndarray:
    """Corners turned into curves of about `radius` px, the stroke ends held: each point pulled
    towards its neighbours' mean (a walk's spread grows as the root of its steps). A part with
    no free end (`part`: each point's connected part), a loop such as ㅇ or ㅁ, would shrink
    so: it is scaled back to its own size about its centre."""
    n = len(points)
    degree = np.bincount(pairs.ravel(), minlength=n)[:, None].astype(np.float64)
    free = np.ones((n, 1))
    free[ends] = 0
    free[degree[:, 0] == 0] = 0
    both = np.concatenate([pairs, pairs[:, ::-1]])
    out = points
    for _ in range(min(200, int(2 * radius ** 2))):
        total = np.stack([np.bincount(both[:, 0], out[both[:, 1], c], n) for c in (0, 1)], 1)
        out = out + 0.5 * free * (total / np.maximum(degree, 1) - out)
    for k in set(part.tolist()) - set(part[ends].tolist()):
        loop = part == k
        centre = points[loop].mean(0)
        before, after = (np.hypot(*(q[loop] - centre).T).mean() for q in (points, out))
        if after > 0:
            out[loop] = centre + (out[loop] - centre) * (before / after)
    return out


def _ticks(pairs: np.ndarray, n: int, rng: np.random.Generator, size: int) -> np.ndarray:
    """Which points stay (bool, n) once each short end stroke (from a free end to a junction,
    shorter than TICK * size) has lost TICK_CUT of its length from its free end."""
    start, nbr = _neighbours(pairs, n)
    keep = np.ones(n, bool)
    for end in (i for i in range(n) if start[i + 1] - start[i] == 1):
        path, prev, cur = [end], -1, end
        while len(path) <= TICK * size:
            nxt = [j for j in nbr[start[cur]:start[cur + 1]] if j != prev]
            if len(nxt) != 1:
                break
            prev, cur = cur, nxt[0]
            path.append(cur)
        if len(path) <= TICK * size and start[cur + 1] - start[cur] > 2:  # reached a junction
            keep[path[:int(len(path) * rng.uniform(*TICK_CUT))]] = False
    return keep


def _joins(points: np.ndarray, ends: list[int], part: np.ndarray,
           rng: np.random.Generator, size: int) -> np.ndarray:
    """Pairs of stroke ends (K x 2 indices) closer than JOIN * size on separate parts of the
    ink (`part`: each point's connected part), each pair JOIN_P of the time, each end at most
    once: where a quick pen goes on to the next jamo without lifting. Ends of one part are
    never joined: that would close a shape (ㄷ into ㅁ)."""
    found, used = [], set()
    e = points[ends]
    dist = np.hypot(*(e[:, None] - e[None]).transpose(2, 0, 1))
    apart = part[ends][:, None] != part[ends][None]
    for a, b in zip(*np.nonzero(np.triu((dist < JOIN * size) & apart, 1))):
        if a in used or b in used or rng.random() >= JOIN_P:
            continue
        used |= {a, b}
        found.append((ends[a], ends[b]))
    return np.array(found, np.int64).reshape(-1, 2)


def redraw(gray: np.ndarray, rng: np.random.Generator, size: int, *,
           width: float | None = None, cursive: bool = False) -> np.ndarray:
    """The glyph's centre lines drawn again with a round pen of `width` px (random when None),
    wobbling, overshooting some stroke ends and hooking some; `cursive`: corners rounded,
    short end strokes cut to ticks and nearby ends joined first. Float32 0..1, gray's shape."""
    out = np.zeros(gray.shape, np.float32)
    ink = gray > 0.5
    if not ink.any():
        return out
    # Skeletonizing costs by area, and the glyph has wide margins: only its box.
    x, y, w, h = cv2.boundingRect(ink.view(np.uint8))
    points, pairs = _skeleton_graph(ink[y:y + h, x:x + w])
    if width is None:
        # Box area over centre-line length is the mean spacing of the strokes: a pen much
        # wider than that fills a dense syllable (닭, 뷁) into a blob, so it is capped there.
        thickest = min(WIDTH[1] * size, COVER * w * h / len(points))
        width = rng.uniform(WIDTH[0], max(WIDTH[0], thickest))
    # Draw in a window with room for everything that can reach past the box.
    reach = int(np.ceil((WOBBLE + OVERSHOOT + HOOK[1]) * size + width / 2)) + 2
    x0, y0 = max(0, x - reach), max(0, y - reach)
    x1, y1 = min(gray.shape[1], x + w + reach), min(gray.shape[0], y + h + reach)
    joins = np.zeros((0, 2), np.int64)
    if cursive:
        parts = cv2.connectedComponents(ink[y:y + h, x:x + w].view(np.uint8), connectivity=8)[1]
        keep = _ticks(pairs, len(points), rng, size)
        index = np.cumsum(keep) - 1
        points, pairs = points[keep], index[pairs[keep[pairs].all(1)]]
        part = parts[points[:, 1].astype(np.int64), points[:, 0].astype(np.int64)]
        ends = _end_directions(pairs, len(points), 1)[0]
        points = _round_corners(points, pairs, ends, part, rng.uniform(*ROUND) * size)
        joins = _joins(points, ends, part, rng, size)
    pts = _wobble(points, rng, size) + (x - x0, y - y0)
    ends, backs = _end_directions(pairs, len(pts), max(3, round(size * BACK)))
    segs = np.concatenate([pts[pairs], pts[joins], _flourishes(pts, ends, backs, rng, size)])
    # The centre lines as zeros: every point (a lone one is a dot) and a line to each neighbour,
    # so the strokes stay connected however the points moved.
    paper = np.full((y1 - y0, x1 - x0), 255, np.uint8)
    cells = np.round(pts).astype(np.int64)
    inside = (cells >= 0).all(1) & (cells[:, 0] < paper.shape[1]) & (cells[:, 1] < paper.shape[0])
    paper[cells[inside, 1], cells[inside, 0]] = 0
    cv2.polylines(paper, np.round(segs * _SUB).astype(np.int32), False, 0, 1, cv2.LINE_8, 4)
    # A round pen: ink where the centre line is within width / 2, anti-aliased over a pixel.
    dist = cv2.distanceTransform(paper, cv2.DIST_L2, 5)
    out[y0:y1, x0:x1] = np.clip(width / 2 + 0.5 - dist, 0, 1)
    return out


def move_parts(gray: np.ndarray, rng: np.random.Generator, size: int) -> np.ndarray:
    """Each connected part of the ink (mostly a jamo) moved by up to SHIFT * size and scaled
    by SCALE about its own centre, independently; specks stay. Float32 0..1, gray's shape."""
    gray = gray.astype(np.float32, copy=False)
    n, labels, stats, centres = cv2.connectedComponentsWithStats(
        (gray > 0.5).view(np.uint8), connectivity=8)
    out = gray.copy()
    moved = []
    shift = SHIFT * size
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        if area < SPECK * size ** 2:
            continue
        s = rng.uniform(*SCALE)
        tx, ty = rng.uniform(-shift, shift, 2)
        reach = int(np.ceil(shift + (SCALE[1] - 1) * max(w, h) / 2)) + 2
        x0, y0 = max(0, x - reach), max(0, y - reach)
        x1, y1 = min(gray.shape[1], x + w + reach), min(gray.shape[0], y + h + reach)
        # The part with its anti-aliased rim (a pixel round it), which moves with it.
        mask = cv2.dilate((labels[y0:y1, x0:x1] == i).view(np.uint8), np.ones((3, 3), np.uint8))
        part = np.where(mask > 0, gray[y0:y1, x0:x1], 0)
        out[y0:y1, x0:x1][mask > 0] = 0
        cx, cy = centres[i] - (x0, y0)
        m = np.array([[s, 0, cx - s * cx + tx], [0, s, cy - s * cy + ty]])
        part = cv2.warpAffine(part, m, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR)
        moved.append((y0, y1, x0, x1, part))
    for y0, y1, x0, x1, part in moved:
        np.maximum(out[y0:y1, x0:x1], part, out=out[y0:y1, x0:x1])
    return out


def squeeze_bottom(gray: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The lowest part of the ink (a final consonant, the ㅡ of 그) squeezed up, as quick hands
    write it: what lies below a line at 55-75% of the ink's height keeps SQUEEZE of its height
    under that line. Float32 0..1, gray's shape."""
    ys = np.nonzero((gray > 0.5).any(1))[0]
    if len(ys) == 0:
        return gray.astype(np.float32, copy=False)
    top, bottom = ys[0], ys[-1] + 1
    line = top + (bottom - top) * rng.uniform(0.55, 0.75)
    rows = np.arange(gray.shape[0], dtype=np.float32)
    source = np.where(rows > line, line + (rows - line) / rng.uniform(*SQUEEZE), rows)
    xs, ys = np.meshgrid(np.arange(gray.shape[1], dtype=np.float32), source.astype(np.float32))
    return cv2.remap(gray.astype(np.float32, copy=False), xs, ys, cv2.INTER_LINEAR)
