"""Image files in: what the command line, personalization and the tools read drawings with."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from drawpad.errors import ImageError


def read_image(path: str | Path) -> np.ndarray:
    """An image file -> uint8 gray, dark ink on light paper (transparent = paper)."""
    try:
        data = np.fromfile(path, np.uint8)  # np.fromfile + imdecode: non-ASCII paths work
    except OSError as e:
        raise ImageError(f"{path}: cannot read ({e.strerror or e})") from None
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if image is None:
        raise ImageError(f"{path}: not an image file OpenCV can read")
    if image.dtype != np.uint8:  # 16-bit PNG and the like
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(1, int(image.max())))
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[:, :, 3:4].astype(np.float32) / 255
        image = (image[:, :, :3] * alpha + 255 * (1 - alpha)).astype(np.uint8)
    return image
