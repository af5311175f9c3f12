"""ViTPose's top-down geometry, as the studio runs it: the crop around a person's box and the way back to photo pixels.

Random weights put keypoints anywhere, so the network here is a stand-in whose every heatmap is the brightness of
the crop it is given, sampled on the heatmap grid (corners aligned, as ViTPose's unbiased processing has it): a
bright spot in the photo must come back as keypoints on that spot, wherever the person's box is.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image
from transformers import VitPoseImageProcessor

from hollywool.models.pose_estimation import Person, PoseEstimator


class _Brightness(torch.nn.Module):
    """Stands in for ViTPose's network: 17 heatmaps, each the input's brightness at a quarter of its size."""

    def __init__(self) -> None:
        super().__init__()
        self.anchor = torch.nn.Parameter(torch.zeros(1))

    @property
    def device(self) -> torch.device:
        return self.anchor.device

    @property
    def dtype(self) -> torch.dtype:
        return self.anchor.dtype

    def forward(self, pixel_values: torch.Tensor) -> SimpleNamespace:
        bright = pixel_values.mean(dim=1, keepdim=True)
        height, width = pixel_values.shape[2] // 4, pixel_values.shape[3] // 4
        maps = F.interpolate(bright, size=(height, width), mode="bilinear", align_corners=True)
        return SimpleNamespace(heatmaps=maps.repeat(1, 17, 1, 1))


def _spot(size: tuple[int, int], centre: tuple[int, int]) -> Image.Image:
    image = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    x, y = centre
    image[y - 3 : y + 4, x - 3 : x + 4] = 255
    return Image.fromarray(image)


@pytest.mark.parametrize(
    ("box", "spot"),
    [
        ((60, 20, 160, 150), (120, 70)),  # a tall box: the crop is widened to the model's 3:4
        ((10, 100, 190, 150), (40, 130)),  # a wide box: the crop is made taller
        ((150, 5, 199, 60), (170, 50)),  # near the corner: the crop reaches past the photo's edge
    ],
)
def test_keypoints_come_back_where_the_photo_shows_them(box, spot):
    estimator = PoseEstimator(_Brightness(), VitPoseImageProcessor(size={"height": 256, "width": 192}))
    [(points, scores)] = estimator(_spot((200, 160), spot), [Person(box, 0.9)])
    assert points.shape == (17, 2) and scores.shape == (17,)
    # One heatmap pixel is (crop size / heatmap size) photo pixels: at most ~3.5 here.
    assert np.abs(points - np.array(spot)).max() <= 3.0, points[0]


def test_no_people_no_keypoints():
    assert PoseEstimator(_Brightness(), VitPoseImageProcessor())(_spot((64, 64), (30, 30)), []) == []
