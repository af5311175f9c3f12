"""Pose maps drawn as OpenPose draws them, from given keypoints: each limb in its colour of the standard table
(at 60 %), each keypoint a disc in its own colour, on black; COCO keypoints become OpenPose's 18 (the neck is the
middle of the shoulders), and what the detector was unsure of is left out."""

from __future__ import annotations

import numpy as np

from hollywool.engines.image.pose_maps import (
    COCO_KEYPOINTS,
    COLOURS,
    LIMBS,
    OPENPOSE_KEYPOINTS,
    draw_pose,
    limb_colour,
    openpose_from_coco,
)


def _person(**points: tuple[float, float]) -> np.ndarray:
    out = np.full((18, 2), np.nan)
    for name, xy in points.items():
        out[OPENPOSE_KEYPOINTS.index(name)] = xy
    return out


def _at(image, x: float, y: float) -> tuple[int, int, int]:
    r, g, b = np.asarray(image)[round(y), round(x)]
    return int(r), int(g), int(b)


def test_the_standard_openpose_tables():
    assert len(OPENPOSE_KEYPOINTS) == 18 and len(LIMBS) == 17 and len(COLOURS) == 18
    assert LIMBS[0] == (1, 2) and COLOURS[0] == (255, 0, 0)  # neck to right shoulder, red
    assert LIMBS[12] == (1, 0) and COLOURS[12] == (0, 0, 255)  # neck to nose, blue
    assert limb_colour(0) == (153, 0, 0) and limb_colour(3) == (153, 153, 0)


def test_limbs_and_keypoints_are_drawn_in_their_colours_on_black():
    person = _person(neck=(50, 30), right_shoulder=(30, 30), right_elbow=(30, 70), nose=(50, 10))
    image = draw_pose((100, 100), [person])
    assert image.size == (100, 100) and image.mode == "RGB"
    # Keypoint discs in the keypoint's own colour: neck is index 1, right shoulder 2, right elbow 3, nose 0.
    assert _at(image, 50, 30) == COLOURS[1]
    assert _at(image, 30, 30) == COLOURS[2]
    assert _at(image, 30, 70) == COLOURS[3]
    assert _at(image, 50, 10) == COLOURS[0]
    # Limbs at 60 % of their colour, midway between their keypoints: neck-right shoulder is limb 0,
    # right shoulder-right elbow limb 2, neck-nose limb 12.
    assert _at(image, 40, 30) == limb_colour(0)
    assert _at(image, 30, 50) == limb_colour(2)
    assert _at(image, 50, 20) == limb_colour(12)
    # A limb is about 2 x 4 px thick: beside it, and far from every point, the map stays black.
    assert _at(image, 40, 36) == (0, 0, 0)
    assert _at(image, 90, 90) == (0, 0, 0)
    # Nothing else: every pixel is black, a keypoint colour or a limb colour (no blending, no anti-aliasing).
    palette = {(0, 0, 0), *COLOURS, *(limb_colour(i) for i in range(len(LIMBS)))}
    assert {tuple(int(v) for v in p) for p in np.asarray(image).reshape(-1, 3)} <= palette


def test_a_limb_with_a_missing_keypoint_is_not_drawn():
    person = _person(neck=(50, 30), right_shoulder=(30, 30))  # no right elbow: limb 2 has one end only
    values = np.asarray(draw_pose((100, 100), [person]))
    assert not (values == limb_colour(2)).all(axis=2).any()
    assert (values == limb_colour(0)).all(axis=2).any()


def test_several_people_are_drawn_on_one_map():
    one = _person(neck=(20, 20), nose=(20, 5))
    two = _person(neck=(80, 60), nose=(80, 45))
    image = draw_pose((100, 80), [one, two])
    assert _at(image, 20, 12) == limb_colour(12) and _at(image, 80, 52) == limb_colour(12)


def test_coco_keypoints_become_openpose_keypoints():
    points = np.array([[10.0 * i, 100.0 + i] for i in range(17)])
    scores = np.full(17, 0.9)
    scores[COCO_KEYPOINTS.index("left_ear")] = 0.1  # unsure: left out
    out = openpose_from_coco(points, scores, threshold=0.3)
    coco = {name: points[i] for i, name in enumerate(COCO_KEYPOINTS)}
    assert (out[OPENPOSE_KEYPOINTS.index("nose")] == coco["nose"]).all()
    assert (out[OPENPOSE_KEYPOINTS.index("right_wrist")] == coco["right_wrist"]).all()
    assert (out[OPENPOSE_KEYPOINTS.index("left_ankle")] == coco["left_ankle"]).all()
    assert np.allclose(out[1], (coco["left_shoulder"] + coco["right_shoulder"]) / 2)  # the neck
    assert np.isnan(out[OPENPOSE_KEYPOINTS.index("left_ear")]).all()
    scores[COCO_KEYPOINTS.index("right_shoulder")] = 0.0
    assert np.isnan(openpose_from_coco(points, scores)[1]).all(), "a neck needs both shoulders"
