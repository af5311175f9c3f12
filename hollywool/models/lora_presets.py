"""LoRA presets: a family's step-distillation LoRAs (Lightning, lightx2v) with the steps and guidance they need.

A family declares its presets (`Family.lora_presets`); a job names one (`lora_preset`). At submit time the
preset sets the job's steps and guidance (stored with the job, so the finished job says what it ran with)
and its LoRA files must be at hand: in the LoRA folders under the preset's id, or in the hub cache where
the preset says they are published. At run time its LoRAs are applied after the job's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hollywool.errors import InvalidInputError
from hollywool.models.families import Family, LoraPreset, PresetLora
from hollywool.models.hub import HubModels
from hollywool.models.loras import LoraInfo, LoraLibrary

FIELD = "lora_preset"


def find(family: Family, preset_id: str) -> LoraPreset:
    for preset in family.lora_presets:
        if preset.id == preset_id:
            return preset
    known = ", ".join(p.id for p in family.lora_presets) or "none"
    raise InvalidInputError(
        f"{FIELD}: {family.label} models have no LoRA preset {preset_id!r}; presets: {known}", field=FIELD
    )


def sampling(preset: LoraPreset, steps: int | None, guidance: float | None) -> tuple[int, float, list[str]]:
    """The steps and guidance a job runs with under the preset, and notes for values it replaced."""
    notes: list[str] = []
    if steps is not None and steps != preset.steps:
        notes.append(f"{preset.label} runs {preset.steps} steps; the {steps} asked for were replaced")
    if guidance is not None and guidance != preset.guidance:
        notes.append(f"{preset.label} runs at guidance {preset.guidance:g}; the {guidance:g} asked for was replaced")
    return preset.steps, preset.guidance, notes


def _file(lora: PresetLora, library: LoraLibrary, hub: HubModels) -> LoraInfo:
    try:
        return library.get(lora.lora_id, FIELD)
    except InvalidInputError:
        pass
    if lora.hub_repo and lora.hub_file:
        cached = hub.extra_file(lora.hub_repo, lora.hub_file)
        info = library.identify(Path(cached), "hub") if cached else None
        if info is not None:
            return info
    where = (
        f"download {lora.hub_file} from the Hugging Face repository {lora.hub_repo} "
        f"(hf download {lora.hub_repo} {lora.hub_file}) into"
        if lora.hub_repo and lora.hub_file
        else f"put {lora.lora_id}.safetensors into"
    )
    folders = ", ".join(str(f) for f, _source in library.folders[:1]) or "the LoRA folder"
    raise InvalidInputError(f"{FIELD}: the preset needs the LoRA {lora.lora_id!r}: {where} {folders}", field=FIELD)


def resolve(family: Family, preset_id: str, library: LoraLibrary, hub: HubModels) -> list[tuple[PresetLora, LoraInfo]]:
    """The preset's LoRAs with their files; InvalidInputError (422) naming what to download when one is missing."""
    return [(lora, _file(lora, library, hub)) for lora in find(family, preset_id).loras]


def for_run(
    family: Family, preset_id: str | None, library: LoraLibrary, hub: HubModels, pipe: Any, first: int
) -> tuple[list[tuple[LoraInfo, float]], frozenset[int]]:
    """The preset's LoRAs as `AppliedLoras` takes them, numbered from `first` (after the job's own LoRAs).

    A LoRA meant for a second expert is skipped on a pipeline without one (Wan 2.1 has a single transformer).
    """
    if not preset_id:
        return [], frozenset()
    has_second = getattr(pipe, "transformer_2", None) is not None
    loras: list[tuple[LoraInfo, float]] = []
    second: set[int] = set()
    for lora, info in resolve(family, preset_id, library, hub):
        if lora.into_second_expert and not has_second:
            continue
        if lora.into_second_expert:
            second.add(first + len(loras))
        loras.append((info, lora.weight))
    return loras, frozenset(second)
