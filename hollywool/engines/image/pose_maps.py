"""Pose maps in OpenPose's drawing: 18 body keypoints, 17 limbs in the standard colour table, on black.

This is the map SDXL ControlNet Union's pose mode (xinsir) and the other pose ControlNets were trained on,
drawn as controlnet_aux draws it: each limb a filled ellipse 4 px wide in its colour at 60 %, then each keypoint
a disc of radius 4 in its own colour on top. Keypoint detectors give the 17 COCO keypoints; OpenPose adds the
neck (the middle of the shoulders) and orders them its own way.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

# OpenPose's 18 keypoints, in its order.
OPENPOSE_KEYPOINTS = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle", "right_eye", "left_eye",
    "right_ear", "left_ear",
)  # fmt: skip
# The 17 COCO keypoints (ViTPose's output), in COCO's order.
COCO_KEYPOINTS = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder", "left_elbow",
    "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle",
    "right_ankle",
)  # fmt: skip
# Limbs as pairs of OpenPose keypoint indices, each drawn in the colour of the same index.
LIMBS = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10), (1, 11), (11, 12), (12, 13),
    (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
)  # fmt: skip
COLOURS = (
    (255, 0, 0), (255, 85, 0), (255, 170, 0), (255, 255, 0), (170, 255, 0), (85, 255, 0), (0, 255, 0),
    (0, 255, 85), (0, 255, 170), (0, 255, 255), (0, 170, 255), (0, 85, 255), (0, 0, 255), (85, 0, 255),
    (170, 0, 255), (255, 0, 255), (255, 0, 170), (255, 0, 85),
)  # fmt: skip
STICK_WIDTH = 4
POINT_RADIUS = 4
LIMB_SHADE = 0.6

_FROM_COCO = [COCO_KEYPOINTS.index(name) if name != "neck" else -1 for name in OPENPOSE_KEYPOINTS]


def limb_colour(index: int) -> tuple[int, int, int]:
    r, g, b = (int(c * LIMB_SHADE) for c in COLOURS[index])
    return r, g, b


def openpose_from_coco(points: np.ndarray, scores: np.ndarray, threshold: float = 0.3) -> np.ndarray:
    """(18, 2) OpenPose keypoints (x, y) from (17, 2) COCO ones; NaN where a keypoint scored under `threshold`."""
    coco = np.where((scores >= threshold)[:, None], points.astype(np.float64), np.nan)
    out = np.full((len(OPENPOSE_KEYPOINTS), 2), np.nan)
    for i, source in enumerate(_FROM_COCO):
        if source >= 0:
            out[i] = coco[source]
    shoulders = coco[[COCO_KEYPOINTS.index("left_shoulder"), COCO_KEYPOINTS.index("right_shoulder")]]
    out[1] = shoulders.mean(axis=0)  # NaN unless both shoulders were found
    return out


def _limb_polygon(a: np.ndarray, b: np.ndarray) -> list[tuple[float, float]]:
    """The outline of an ellipse from `a` to `b`, STICK_WIDTH wide (cv2.ellipse2Poly's, one point a degree)."""
    centre = (a + b) / 2
    half_length = float(np.hypot(*(b - a))) / 2
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    t = np.radians(np.arange(0, 361))
    x, y = half_length * np.cos(t), STICK_WIDTH * np.sin(t)
    cos, sin = math.cos(angle), math.sin(angle)
    return list(zip(centre[0] + x * cos - y * sin, centre[1] + x * sin + y * cos, strict=True))


def draw_pose(size: tuple[int, int], people: list[np.ndarray]) -> Image.Image:
    """The pose map of `people` (each an (18, 2) array of OpenPose keypoints, NaN where missing) at `size`."""
    canvas = Image.new("RGB", size, "black")
    draw = ImageDraw.Draw(canvas)
    for points in people:
        for index, (first, second) in enumerate(LIMBS):
            a, b = points[first], points[second]
            if np.isnan(a).any() or np.isnan(b).any():
                continue
            draw.polygon(_limb_polygon(a, b), fill=limb_colour(index))
    for points in people:
        for index, (x, y) in enumerate(points):
            if math.isnan(x) or math.isnan(y):
                continue
            draw.ellipse((x - POINT_RADIUS, y - POINT_RADIUS, x + POINT_RADIUS, y + POINT_RADIUS), fill=COLOURS[index])
    return canvas
