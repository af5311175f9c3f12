"""LoRA file layouts: tell them apart from their keys, convert what diffusers' loaders do not, load, verify.

The layouts people hold:

* diffusers / peft: ``unet.`` / ``transformer.`` / ``text_encoder.`` module paths with ``lora_A`` / ``lora_B``.
* kohya (sd-scripts, Civitai, musubi): ``lora_unet_<module_with_underscores>.lora_down`` / ``.lora_up`` /
  ``.alpha``, ``lora_te_`` / ``lora_te1_`` / ``lora_te2_`` for the text encoders.
* ComfyUI / ai-toolkit: the original model's module paths under ``diffusion_model.`` (and
  ``text_encoders.clip_l.transformer.``) with ``lora_A`` / ``lora_B``.

Each diffusers pipeline's ``lora_state_dict`` already converts most of these (kohya SD/SDXL/FLUX.1, ComfyUI
Wan, Qwen-Image, Z-Image, FLUX.2 ...). Where it does not, the family names a converter (``Family.lora_converter``):
a function of diffusers' ``lora_conversion_utils`` or one of ``CONVERTERS`` here. A LoRA of which no key lands
on the model is refused rather than giving an unchanged image.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

from hollywool.errors import InvalidInputError
from hollywool.models import families
from hollywool.models.families import Family
from hollywool.models.safetensors_header import read_header

Layout = Literal["diffusers", "peft", "kohya", "comfyui", "other"]
StateDict = dict[str, Any]
Converter = Callable[[StateDict, Any], StateDict]  # (state dict, pipeline) -> state dict

_KOHYA_PREFIXES = ("lora_unet_", "lora_te_", "lora_te1_", "lora_te2_", "lora_te3_")
_DIFFUSERS_PREFIXES = ("unet.", "transformer.", "transformer_2.", "text_encoder.", "text_encoder_2.", "prior.")
# ComfyUI's module prefixes -> kohya's.
_COMFY_PREFIXES = {
    "diffusion_model.": "lora_unet_",
    "text_encoders.clip_l.transformer.": "lora_te1_",
    "text_encoders.clip_g.transformer.": "lora_te2_",
}
_PART = re.compile(
    r"^(?P<module>.+?)\.(?P<part>lora_A\.weight|lora_B\.weight|lora_down\.weight|lora_up\.weight|alpha)$"
)
_KOHYA_PART = {"lora_A.weight": "lora_down.weight", "lora_B.weight": "lora_up.weight"}
_BLOCK_WORDS = {
    "lora_unet_input_blocks": "lora_unet_down_blocks",
    "lora_unet_middle_block": "lora_unet_mid_block",
    "lora_unet_output_blocks": "lora_unet_up_blocks",
}
_LDM_BLOCK_MAPPER = "_maybe_map_sgm_blocks_to_diffusers"  # renumbers LDM UNet blocks as diffusers' (needs the config)
_DIFFUSERS_BLOCKS = re.compile("|".join(_BLOCK_WORDS))


def layout(keys: list[str]) -> Layout:
    """Which of the layouts above a LoRA's keys are in."""
    if any(k.startswith(_KOHYA_PREFIXES) for k in keys):
        return "kohya"
    if any(k.startswith(tuple(_COMFY_PREFIXES)) for k in keys):
        return "comfyui"
    if any(k.startswith("base_model.model.") for k in keys):
        return "peft"
    if any(k.startswith(_DIFFUSERS_PREFIXES) for k in keys):
        return "diffusers"
    return "other"


def marked_base(shapes: dict[str, list[int]], metadata: dict[str, str]) -> str | None:
    """The LoRA base a family declares for these keys, shapes and metadata (``detect_lora``, ``lora_markers``)."""
    for family in families.REGISTRY.all():
        found = family.detect_lora(shapes, metadata) if family.detect_lora else None
        if found:
            return found
    keys = list(shapes)
    for family in families.REGISTRY.all():
        for base, pattern in family.lora_markers.items():
            regex = re.compile(pattern)
            if any(regex.search(k) for k in keys):
                return base
    return None


def kohya_names(state_dict: StateDict, pipe: Any) -> StateDict:
    """ComfyUI module paths -> kohya names, and LDM (``input_blocks``) UNet blocks -> diffusers' blocks.

    diffusers converts kohya names itself, but not ComfyUI's ``diffusion_model.`` layout for FLUX.1 / SD /
    SDXL, and the SD 1.x loader maps LDM block numbers only for SDXL (it is not given the UNet's config).
    """
    renamed: StateDict = {}
    for key, value in state_dict.items():
        prefix = next((p for p in _COMFY_PREFIXES if key.startswith(p)), None)
        match = _PART.match(key[len(prefix) :]) if prefix else None
        if prefix is None or match is None:
            renamed[key] = value
            continue
        module = match["module"].replace(".", "_")
        renamed[f"{_COMFY_PREFIXES[prefix]}{module}.{_KOHYA_PART.get(match['part'], match['part'])}"] = value
    unet = getattr(pipe, "unet", None)
    if unet is not None and any(k.startswith("lora_unet_") for k in renamed):
        from diffusers.loaders import lora_conversion_utils

        map_blocks = cast(Converter, getattr(lora_conversion_utils, _LDM_BLOCK_MAPPER))
        renamed = map_blocks(renamed, unet.config)
        # It renumbers but keeps the LDM block words; name them as diffusers does, so that a loader that maps
        # LDM blocks itself (SDXL's) does not renumber them a second time.
        renamed = {_DIFFUSERS_BLOCKS.sub(lambda m: _BLOCK_WORDS[m[0]], k): v for k, v in renamed.items()}
    return renamed


CONVERTERS: dict[str, Converter] = {"kohya_names": kohya_names}


def converter(name: str) -> Converter:
    """A converter by name: one of ours, else a function of diffusers' lora_conversion_utils."""
    if name in CONVERTERS:
        return CONVERTERS[name]
    from diffusers.loaders import lora_conversion_utils

    fn = getattr(lora_conversion_utils, name, None)
    if fn is None:
        raise ValueError(f"unknown LoRA converter {name!r}")
    return lambda state_dict, _pipe: fn(state_dict)


def read(path: str | Path) -> StateDict:
    from safetensors.torch import load_file  # pyright: ignore[reportUnknownVariableType]  # its path is a bare PathLike

    return load_file(str(path))


def load(pipe: Any, path: str | Path, adapter: str, family: Family | None, **kwargs: Any) -> None:
    """Load one LoRA file into ``pipe`` as ``adapter``, converting its layout where the family says how.

    A diffusers-layout file is loaded from its path (its saved peft config, alpha included, is kept).
    Raises InvalidInputError when no key of the LoRA matched a module of the model.
    """
    source: str | StateDict = str(path)
    if family is not None and family.lora_converter:
        keys = list(read_header(Path(path))[0])  # the names only: a diffusers-layout file is not read twice
        if layout(keys) not in ("diffusers", "peft"):
            source = converter(family.lora_converter)(read(path), pipe)
    pipe.load_lora_weights(source, adapter_name=adapter, **kwargs)
    loaded = [name for names in pipe.get_list_adapters().values() for name in names]
    if adapter not in loaded:
        label = family.label if family is not None else "this"
        raise InvalidInputError(
            f"None of the LoRA's keys match the {label} model's modules: it was made for another architecture "
            f"(file {Path(path).name})",
            field="loras",
        )
