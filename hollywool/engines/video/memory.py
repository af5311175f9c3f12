"""The memory check made before a video job is accepted.

The catalogue's `memory_gb` is what a model needs at its default size and frame count. Weights are
most of it; activations and the VAE decode grow with width x height x frames. The estimate scales the
activation share with the requested volume, and the job is refused (409) when it exceeds the memory
free on the device plus what the model cache would release by evicting loaded models.
"""

from __future__ import annotations

from dataclasses import dataclass

_ACTIVATION_SHARE = 0.3  # of memory_gb at the default size and length


@dataclass(frozen=True)
class MemoryEstimate:
    needed_gb: float
    free_gb: float

    @property
    def fits(self) -> bool:
        return self.needed_gb <= self.free_gb


def estimate_gb(memory_gb: float, volume: int, default_volume: int) -> float:
    ratio = volume / max(default_volume, 1)
    return memory_gb * ((1 - _ACTIVATION_SHARE) + _ACTIVATION_SHARE * ratio)
