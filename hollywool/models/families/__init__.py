"""Model families: one module each, registered by importing it.

Importing this package imports every module in it, so a family module added here is found without a
registry line. Lookups accept the canonical id and its aliases; the answers are live, so a family
registered later (a plugin, a test) is seen everywhere at once.
"""

from __future__ import annotations

import importlib
import pkgutil

from hollywool.models.families.base import (
    REGISTRY,
    Family,
    LatentRGB,
    LoraPreset,
    PresetLora,
    SingleFile,
    Task,
    register,
)
from hollywool.models.families.image import ImageFamily
from hollywool.models.families.split import SplitFiles, TextEncoderSlot
from hollywool.models.families.video import Decoded, Keyframes, LatentPreview, Rules, Variant, VideoFamily

_FRAMEWORK = {"base", "image", "split", "video"}
for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _FRAMEWORK:
        importlib.import_module(f"{__name__}.{_module.name}")


def family(name: str) -> Family | None:
    """The family with this id or alias, or None."""
    return REGISTRY.get(name)


def canonical_type(name: str) -> str | None:
    return REGISTRY.canonical(name)


def image_families() -> dict[str, ImageFamily]:
    return {f.type: f for f in REGISTRY.all() if isinstance(f, ImageFamily)}


def video_families() -> dict[str, VideoFamily]:
    return {f.type: f for f in REGISTRY.all() if isinstance(f, VideoFamily)}


def image_types() -> tuple[str, ...]:
    return tuple(image_families())


def video_types() -> tuple[str, ...]:
    return tuple(video_families())


def family_of(model_type: str) -> ImageFamily:
    found = REGISTRY.get(model_type)
    if not isinstance(found, ImageFamily):
        raise KeyError(f"no local image engine for model type {model_type!r}")
    return found


def video_family(model_type: str) -> VideoFamily:
    found = REGISTRY.get(model_type)
    if not isinstance(found, VideoFamily):
        raise KeyError(f"no video family for model type {model_type!r}")
    return found


__all__ = [
    "REGISTRY",
    "Decoded",
    "Family",
    "ImageFamily",
    "Keyframes",
    "LatentPreview",
    "LatentRGB",
    "LoraPreset",
    "PresetLora",
    "Rules",
    "SingleFile",
    "SplitFiles",
    "Task",
    "TextEncoderSlot",
    "Variant",
    "VideoFamily",
    "canonical_type",
    "family",
    "family_of",
    "image_families",
    "image_types",
    "register",
    "video_families",
    "video_family",
    "video_types",
]
