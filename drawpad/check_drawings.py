"""A few real pen drawings (pendigits, CC BY 4.0: Alpaydin and Alimoglu), for checking
that a converted model gives Keras's answers on inputs like the pad's, not only on
zeros and noise. Tablet points, y axis up, every second point kept."""
from __future__ import annotations

import numpy as np

from drawpad.canvas import PAPER, draw_strokes

STROKES = {
    "0": [[[184, 198], [188, 202]],
          [[192, 219], [192, 224], [191, 228], [187, 223], [183, 208], [184, 187], [196, 170], [219, 163],
           [245, 171], [266, 194], [272, 222], [261, 244], [236, 251], [206, 242], [187, 223], [184, 212]]],
    "4": [[[231, 309], [232, 318], [234, 323], [235, 317], [234, 302], [233, 277], [233, 248], [236, 219],
           [243, 196], [250, 184], [259, 181], [270, 186], [274, 197], [277, 206], [278, 213], [276, 215],
           [274, 207], [269, 192], [264, 169], [261, 144], [259, 119]]],
    "7": [[[122, 319], [127, 331], [140, 342], [160, 349], [189, 351], [223, 349], [250, 340], [268, 325],
           [276, 299], [279, 266], [279, 228], [276, 179], [270, 143], [260, 115]],
          [[196, 149], [193, 163], [198, 173], [218, 181], [255, 184], [302, 185]]],
    "8": [[[221, 271], [214, 271], [214, 261], [223, 244], [232, 221], [239, 197], [236, 174], [225, 158],
           [212, 152], [203, 157], [203, 173], [212, 196], [227, 221], [241, 244], [250, 263], [247, 275],
           [236, 277], [219, 273], [205, 263], [201, 258]]],
}


def drawings(canvas: int = 400, pen: int = 16) -> list[np.ndarray]:
    """The drawings as the pad would show them: dark ink on light paper, 3/4 of the canvas high."""
    out = []
    for strokes in STROKES.values():
        points = [np.asarray(s, np.float64) * (1, -1) for s in strokes]  # y up -> y down
        every = np.concatenate(points)
        lo, scale = every.min(0), 0.75 * canvas / max(np.ptp(every, 0).max(), 1)
        placed = [(s - lo) * scale + canvas / 8 for s in points]
        out.append(draw_strokes(np.full((canvas, canvas), PAPER, np.uint8), placed, pen))
    return out
