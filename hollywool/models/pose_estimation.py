"""Pose preprocessor models: a person detector (RT-DETR) finds the people, ViTPose finds each one's keypoints.

ViTPose is a top-down model: it sees one person at a time, cropped from the box the detector found (padded by a
quarter, widened to the model's aspect) and resized to its input size, and answers one heatmap per COCO keypoint.
The crop and the heatmap decoding are done here, the way transformers' VitPoseImageProcessor does them (its
unbiased crop geometry), because that processor needs SciPy, which the studio does not depend on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from hollywool.errors import StudioError

DETECTION_THRESHOLD = 0.3  # as transformers' ViTPose examples run RT-DETR
MAX_PEOPLE = 10
COCO_KEYPOINT_COUNT = 17
_PADDING = 1.25  # how much larger than the person's box the crop is


@dataclass(frozen=True)
class Person:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in image pixels
    score: float


class PersonDetector:
    """An object detector and its image processor: the boxes of the people in a photo, most certain first."""

    def __init__(self, model: Any, processor: Any, threshold: float = DETECTION_THRESHOLD):
        self.model = model
        self.processor = processor
        self.threshold = threshold
        labels: dict[Any, str] = model.config.id2label
        self.person_labels = {int(i) for i, name in labels.items() if str(name).lower() == "person"}

    def __call__(self, image: Image.Image) -> list[Person]:
        import torch

        inputs = self.processor(images=image.convert("RGB"), return_tensors="pt")
        device, dtype = self.model.device, self.model.dtype
        inputs = {k: v.to(device, dtype) if v.is_floating_point() else v.to(device) for k, v in inputs.items()}
        with torch.no_grad():
            out = self.model(**inputs)
        found = self.processor.post_process_object_detection(
            out, target_sizes=[(image.height, image.width)], threshold=self.threshold
        )[0]
        people = [
            Person(tuple(float(v) for v in box), float(score))  # pyright: ignore[reportArgumentType]  # 4 values
            for box, score, label in zip(
                found["boxes"].tolist(), found["scores"].tolist(), found["labels"].tolist(), strict=True
            )  # fmt: skip
            if int(label) in self.person_labels and box[2] > box[0] and box[3] > box[1]
        ]
        return sorted(people, key=lambda p: -p.score)[:MAX_PEOPLE]


class PoseEstimator:
    """ViTPose: the 17 COCO keypoints of each person a detector found in a photo, with their scores."""

    def __init__(self, model: Any, processor_config: dict[str, Any]):
        self.model = model
        size = processor_config.get("size") or {"height": 256, "width": 192}
        self.input_size = (int(size["width"]), int(size["height"]))
        self.mean = np.asarray(processor_config.get("image_mean", [0.485, 0.456, 0.406]), dtype=np.float32)
        self.std = np.asarray(processor_config.get("image_std", [0.229, 0.224, 0.225]), dtype=np.float32)

    @classmethod
    def from_folder(cls, model: Any, folder: Path) -> PoseEstimator:
        config = folder / "preprocessor_config.json"
        return cls(model, json.loads(config.read_text()) if config.is_file() else {})

    def __call__(self, image: Image.Image, people: list[Person]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each person's keypoints ((17, 2) image pixels) and their scores ((17,), the heatmap peaks)."""
        import torch

        if not people:
            return []
        rgb = image.convert("RGB")
        regions = [self._region(p.box) for p in people]
        crops = np.stack([self._crop(rgb, centre, span) for centre, span in regions])
        pixels = torch.as_tensor(crops).permute(0, 3, 1, 2).to(self.model.device, self.model.dtype)
        with torch.no_grad():
            heatmaps = self.model(pixel_values=pixels).heatmaps.float().cpu().numpy()
        if heatmaps.shape[1] != COCO_KEYPOINT_COUNT:
            raise StudioError(
                f"this pose model finds {heatmaps.shape[1]} keypoints, not COCO's {COCO_KEYPOINT_COUNT}: "
                "use a ViTPose model trained on COCO (for example usyd-community/vitpose-base-simple)"
            )
        out: list[tuple[np.ndarray, np.ndarray]] = []
        for maps, (centre, span) in zip(heatmaps, regions, strict=True):
            points, scores = _peaks(maps)
            height, width = maps.shape[1:]
            # Heatmap pixel -> image pixel, as the crop was made (the unbiased geometry: corners to corners).
            points = points * (span / (np.array([width, height]) - 1.0)) + centre - span / 2
            out.append((points, scores))
        return out

    def _region(self, box: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
        """(centre, size) of the crop for a person's box: the box padded and widened to the model's aspect."""
        x0, y0, x1, y1 = box
        width, height = x1 - x0, y1 - y0
        aspect = self.input_size[0] / self.input_size[1]
        if width > aspect * height:
            height = width / aspect
        else:
            width = height * aspect
        return np.array([(x0 + x1) / 2, (y0 + y1) / 2]), np.array([width, height]) * _PADDING

    def _crop(self, image: Image.Image, centre: np.ndarray, span: np.ndarray) -> np.ndarray:
        out_w, out_h = self.input_size
        sx, sy = span[0] / (out_w - 1), span[1] / (out_h - 1)
        left, top = centre - span / 2
        # PIL samples output pixel u at input a*u + c + (a - 1)/2 (pixel centres): take that shift off, so that
        # output pixel u sees input pixel left + u*sx exactly, as the heatmap decoding assumes.
        c, f = left - (sx - 1) / 2, top - (sy - 1) / 2
        crop = image.transform(
            self.input_size, Image.Transform.AFFINE, (sx, 0, c, 0, sy, f), resample=Image.Resampling.BILINEAR
        )
        return (np.asarray(crop, dtype=np.float32) / 255.0 - self.mean) / self.std


def _peaks(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each heatmap's peak (x, y), moved a quarter pixel towards its higher neighbour, and its value."""
    count, height, width = heatmaps.shape
    flat = heatmaps.reshape(count, -1)
    index = flat.argmax(axis=1)
    scores = flat.max(axis=1)
    xs, ys = (index % width).astype(np.int64), (index // width).astype(np.int64)
    points = np.stack([xs, ys], axis=1).astype(np.float64)
    for k in range(count):
        x, y, hm = xs[k], ys[k], heatmaps[k]
        if 0 < x < width - 1:
            points[k, 0] += 0.25 * np.sign(hm[y, x + 1] - hm[y, x - 1])
        if 0 < y < height - 1:
            points[k, 1] += 0.25 * np.sign(hm[y + 1, x] - hm[y - 1, x])
    return points, scores
