"""Pose preprocessor models: a person detector (RT-DETR) finds the people, ViTPose finds each one's keypoints.

ViTPose is a top-down model: it sees one person at a time, cropped from the box the detector found, and answers
one heatmap per COCO keypoint; transformers' VitPoseImageProcessor makes the crops and reads the heatmaps back
into photo pixels (it needs SciPy).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from hollywool.errors import StudioError

DETECTION_THRESHOLD = 0.3  # as transformers' ViTPose examples run RT-DETR
MAX_PEOPLE = 10
COCO_KEYPOINT_COUNT = 17


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

    def __init__(self, model: Any, processor: Any):
        self.model = model
        self.processor = processor

    @classmethod
    def from_folder(cls, model: Any, folder: Path) -> PoseEstimator:
        from transformers import VitPoseImageProcessor

        return cls(model, VitPoseImageProcessor.from_pretrained(folder))  # pyright: ignore[reportUnknownMemberType]

    def __call__(self, image: Image.Image, people: list[Person]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each person's keypoints ((17, 2) image pixels) and their scores ((17,), the heatmap peaks)."""
        import torch

        if not people:
            return []
        boxes = [[[x0, y0, x1 - x0, y1 - y0] for x0, y0, x1, y1 in (p.box for p in people)]]  # COCO's x, y, w, h
        inputs = self.processor(image.convert("RGB"), boxes=boxes, return_tensors="pt")
        pixels = inputs["pixel_values"].to(self.model.device, self.model.dtype)
        with torch.no_grad():
            out = self.model(pixel_values=pixels)
        if out.heatmaps.shape[1] != COCO_KEYPOINT_COUNT:
            raise StudioError(
                f"this pose model finds {out.heatmaps.shape[1]} keypoints, not COCO's {COCO_KEYPOINT_COUNT}: "
                "use a ViTPose model trained on COCO (for example usyd-community/vitpose-base-simple)"
            )
        out.heatmaps = out.heatmaps.float().cpu()
        found = self.processor.post_process_pose_estimation(out, boxes=boxes)[0]
        return [(person["keypoints"].numpy(), person["scores"].numpy()) for person in found]
