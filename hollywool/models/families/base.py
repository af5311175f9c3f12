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

from hollywool.models.families.split import SplitFiles
from hollywool.models.precision import Weights

LoraDetector = Callable[[dict[str, list[int]], dict[str, str]], str | None]

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


def lora_architecture(metadata: Mapping[str, str]) -> str:
    """What a LoRA's metadata says it was trained on (kohya's and modelspec's fields), lower case."""
    return (metadata.get("ss_base_model_version", "") + " " + metadata.get("modelspec.architecture", "")).lower()


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
    `family_of`: for one key layout that several families share (FLUX.2 dev and [klein]), the type of the
    family the file belongs to, from its keys and shapes; None keeps the family that declares the layout.
    """

    markers: tuple[str, ...]
    config: str | None = None
    variant: Callable[[dict[str, list[int]]], tuple[str, str] | None] | None = None
    family_of: Callable[[dict[str, list[int]]], str | None] | None = None
    # Models whose files have the same keys and shapes (Qwen-Image and Qwen-Image-Edit 2509, FLUX.1 dev and Kontext):
    # (a word in the lower-cased file name, the type of the family it names), asked only when the keys leave the
    # family as it is.
    family_by_name: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class PresetLora:
    """One LoRA of a preset: its id in the LoRA folders (a file's stem) and where the file is published."""

    lora_id: str
    hub_repo: str | None = None  # the Hugging Face repository that publishes the file
    hub_file: str | None = None  # its path in that repository
    weight: float = 1.0
    into_second_expert: bool = False  # Wan 2.2 A14B: load into `transformer_2` (the low-noise expert)


@dataclass(frozen=True, kw_only=True)
class LoraPreset:
    """A LoRA applied with the sampling it was made for (step-distillation LoRAs: Lightning, lightx2v)."""

    id: str  # what a job names it by ("lightning-8")
    label: str  # "Lightning 8-step"
    loras: tuple[PresetLora, ...]
    steps: int
    guidance: float
    source: str = ""  # where the recommended steps and guidance come from


@dataclass(frozen=True, kw_only=True)
class Family:
    type: str  # the one canonical id: the catalogue's `type`
    label: str  # what a person calls it, used in messages
    pipeline: str  # diffusers class a model folder of this family loads as (and single files, via from_single_file)
    aliases: tuple[str, ...] = ()  # other names accepted in config.yaml (sd15, sd1, ...)
    single_file: SingleFile | None = None
    split_files: SplitFiles | None = None  # how its diffusion-model-only files assemble with text encoders and a VAE
    civitai_base_models: tuple[str, ...] = ()  # Civitai's `baseModel` names for checkpoints of this family
    lora_bases: Mapping[str, str] = field(default_factory=dict[str, str])  # LoRA base id -> label, bases that fit
    # LoRA base id -> a regex over LoRA key names that only that base's LoRAs match (models/lora_formats.py).
    lora_markers: Mapping[str, str] = field(default_factory=dict[str, str])
    # Tells this family's LoRAs from their keys (with shapes) and metadata where names alone do not (FLUX.1,
    # FLUX.2 and Chroma share `double_blocks`): a LoRA base id, or None. Asked before the markers and the
    # built-in rules of models/loras.py, so it must not claim another family's LoRAs.
    detect_lora: LoraDetector | None = None
    # Converts this family's LoRA layouts that its diffusers loader does not: the name of a function in
    # diffusers.loaders.lora_conversion_utils or in models/lora_formats.py's CONVERTERS.
    lora_converter: str | None = None
    lora_presets: tuple[LoraPreset, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict[str, Any])
    # Published weight sizes per component and precision (precision.py): one line per component.
    weights: Mapping[str, Weights] = field(default_factory=dict[str, Weights])
    # Kept working but outdated (SD3, Mochi, CogVideoX, SVD): listed after the current families, in a Legacy group.
    legacy: bool = False

    def for_model(self, path: str, extra: dict[str, Any] | None = None) -> Family:
        """This family as one model (at `path`, with its catalogue `extra`) is; a family with variants says which."""
        return self

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
