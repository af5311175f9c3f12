"""What every model family declares, and the registry families add themselves to.

A family is the facts that differ between architectures, as data: its one canonical id (the
catalogue's `type`), the other names people use for it, the diffusers pipeline class per task, how
to recognise its single-file checkpoints and which shipped config loads them, the names Civitai gives
its base models, and which LoRA bases fit it. Image and video families add their own facts
(`image.py`, `video.py`). Each family module builds its family and calls `register`; the package
imports every module in it, so a new family is one new module plus its catalogue entries.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

Task = Literal[
    "text-to-image",
    "image-to-image",
    "inpaint",
    "edit",
    "control",
    "text-to-video",
    "image-to-video",
    "keyframes-to-video",
]
Medium = Literal["image", "video"]


@dataclass(frozen=True)
class LatentRGB:
    """A linear projection from latent channels to RGB (approximate, for live previews only)."""

    factors: tuple[tuple[float, float, float], ...]
    bias: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class SingleFile:
    """How a single-file checkpoint (A1111 / ComfyUI / Civitai layout) of this family is recognised and loaded.

    `markers`: key prefixes only this family's checkpoints have. `config`: the shipped diffusers config
    folder (hollywool/catalog/configs/<config>) that loads it offline; None when the user must give one.
    `variant`: tells sub-architectures apart from the header's shapes, as (config, label), or None.
    """

    markers: tuple[str, ...]
    config: str | None = None
    variant: Callable[[dict[str, list[int]]], tuple[str, str] | None] | None = None


@dataclass(frozen=True, kw_only=True)
class Family:
    type: str  # the one canonical id: the catalogue's `type`
    label: str  # what a person calls it, used in messages
    pipeline: str  # diffusers class a model folder of this family loads as (and single files, via from_single_file)
    aliases: tuple[str, ...] = ()  # other names accepted in config.yaml (sd15, sd1, ...)
    single_file: SingleFile | None = None
    civitai_base_models: tuple[str, ...] = ()  # Civitai's `baseModel` names for checkpoints of this family
    lora_bases: Mapping[str, str] = field(default_factory=dict[str, str])  # LoRA base id -> label, bases that fit
    extra: Mapping[str, Any] = field(default_factory=dict[str, Any])
    # Kept working but outdated (SD3, Mochi, CogVideoX, SVD): listed after the current families, in a Legacy group.
    legacy: bool = False

    @property
    def medium(self) -> Medium:
        raise NotImplementedError

    @property
    def tasks(self) -> dict[Task, str]:
        """The diffusers pipeline class per task this family can do."""
        raise NotImplementedError


class FamilyRegistry:
    """Families by canonical id, with their aliases; filled by the family modules as they are imported."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._families: dict[str, Family] = {}
        self._aliases: dict[str, str] = {}

    def register(self, family: Family) -> Family:
        with self._lock:
            for name in (family.type, *family.aliases):
                owner = self._aliases.get(name)
                if owner is not None and owner != family.type:
                    raise ValueError(f"family name {name!r} of {family.type!r} is already {owner!r}'s")
            self._families[family.type] = family
            for name in (family.type, *family.aliases):
                self._aliases[name] = family.type
        return family

    def unregister(self, family_type: str) -> None:
        with self._lock:
            family = self._families.pop(family_type, None)
            if family is not None:
                for name in (family.type, *family.aliases):
                    self._aliases.pop(name, None)

    def canonical(self, name: str) -> str | None:
        """The canonical id for a family id or alias, or None when no family has that name."""
        with self._lock:
            return self._aliases.get(name)

    def get(self, name: str) -> Family | None:
        with self._lock:
            canonical = self._aliases.get(name)
            return self._families.get(canonical) if canonical else None

    def all(self) -> list[Family]:
        with self._lock:
            return list(self._families.values())

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._families)


REGISTRY = FamilyRegistry()
F = TypeVar("F", bound=Family)


def register(family: F) -> F:
    """Add a family to the registry (called by each family module at import)."""
    REGISTRY.register(family)
    return family
