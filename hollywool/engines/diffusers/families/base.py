"""What the engine needs to know about a model family, as data.

Every diffusers pipeline has the same call shape and step callback, so a family is only the facts that
differ: which pipeline class, the size multiple, which parameters it accepts, its schedulers, how to
turn its latents into a rough RGB preview, and which LoRA bases fit it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LatentRGB:
    """A linear projection from latent channels to RGB (approximate, for live previews only)."""

    factors: tuple[tuple[float, float, float], ...]
    bias: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Family:
    type: str  # the catalogue's model type ("sd", "sdxl", ...)
    label: str  # what a person calls it, used in messages
    pipeline: str  # diffusers text-to-image pipeline class (also used for single files)
    size_multiple: int  # width and height must be multiples of this
    default_size: int  # the side length the family was trained at
    negative_prompt: bool = True
    schedulers: tuple[str, ...] = ()  # choices besides "default" (see schedulers.py)
    latent_rgb: LatentRGB | None = None
    # Turns callback latents into [batch, channels, h, w] (FLUX packs them into tokens).
    unpack_latents: Callable[[Any, Any, int, int], Any] | None = None
    lora_bases: tuple[str, ...] = ()  # LoRA base architectures this family accepts (see loras.py)
    single_file_config: str | None = None  # shipped config folder for single-file checkpoints
    call_defaults: dict[str, Any] = field(default_factory=dict)

    def check_size(self, width: int, height: int) -> str | None:
        """A message when the size does not fit this family, else None."""
        m = self.size_multiple
        for name, value in (("width", width), ("height", height)):
            if value % m:
                low, high = value // m * m, (value // m + 1) * m
                return f"{name}: {value} is not a multiple of {m} for {self.label} models (try {low} or {high})"
        return None
