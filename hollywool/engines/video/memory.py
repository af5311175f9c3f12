"""The memory check made before a video job is accepted.

The catalogue's `memory_gb` is what a model needs at its default size and frame count with every
weight on the device. The estimate (models/memory.py `video_estimate_gb`) keeps the weights' share as
the model's memory plan places them (fp8, offload) and scales the activations' share with the
requested volume; the job is refused (409) when it exceeds the memory free on the device plus what
the model cache would release by evicting loaded models.
"""

from __future__ import annotations

from dataclasses import dataclass

from hollywool.models.memory import video_estimate_gb as estimate_gb

__all__ = ["MemoryEstimate", "estimate_gb"]


@dataclass(frozen=True)
class MemoryEstimate:
    needed_gb: float
    free_gb: float

    @property
    def fits(self) -> bool:
        return self.needed_gb <= self.free_gb
