"""The image families: one small module each, registered here by catalogue type."""

from __future__ import annotations

from hollywool.engines.diffusers.families import flux, sd, sd3, sdxl
from hollywool.engines.diffusers.families.base import Family, LatentRGB

FAMILIES: dict[str, Family] = {f.FAMILY.type: f.FAMILY for f in (sd, sdxl, sd3, flux)}


def family_of(model_type: str) -> Family:
    try:
        return FAMILIES[model_type]
    except KeyError:
        raise KeyError(f"no local image engine for model type {model_type!r}") from None


__all__ = ["FAMILIES", "Family", "LatentRGB", "family_of"]
