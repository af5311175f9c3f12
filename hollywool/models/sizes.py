"""Image sizes: the bounds every image request keeps, aspect presets, snapping to a family's multiple."""

from __future__ import annotations

import math

MIN_SIDE, MAX_SIDE = 64, 4096  # the smallest and largest width or height of an image request

ASPECT_RATIOS = {
    "1:1": (1, 1),
    "16:9": (16, 9),
    "9:16": (9, 16),
    "4:3": (4, 3),
    "3:4": (3, 4),
    "3:2": (3, 2),
    "2:3": (2, 3),
    "21:9": (21, 9),
}


def snap(value: float, multiple: int) -> int:
    return max(multiple, int(round(value / multiple)) * multiple)


def aspect_size(ratio: str, base_side: int, multiple: int) -> tuple[int, int]:
    """Width and height with about the area of a `base_side` square, in `ratio`, snapped to `multiple`."""
    a, b = ASPECT_RATIOS[ratio]
    width = base_side * math.sqrt(a / b)
    height = base_side * math.sqrt(b / a)
    return snap(width, multiple), snap(height, multiple)


def aspect_sizes(base_side: int, multiple: int) -> dict[str, tuple[int, int]]:
    """Every preset's width and height for a model of this base side and multiple (what the UI offers)."""
    return {ratio: aspect_size(ratio, base_side, multiple) for ratio in ASPECT_RATIOS}
