"""Diffusion-model and VAE files of FLUX.2 and Qwen-Image as ComfyUI and Black Forest Labs publish them.

* FLUX.2 (dev, [klein]): BFL's original names (`double_blocks.N.img_attn.qkv`, `single_blocks.N.linear1`, the
  shared `double_stream_modulation_img`), with or without ComfyUI's `model.diffusion_model.` prefix. diffusers'
  `convert_flux2_transformer_checkpoint_to_diffusers` splits rows by thirds and renames, whatever the width, but
  expects no prefix.
* `flux2-vae.safetensors`: the LDM autoencoder layout (`encoder.down.N.block.M`) plus the latent BatchNorm's
  running statistics (`bn.running_mean`, `bn.running_var`), which diffusers has no single-file loader for.
* Qwen-Image: diffusers' own names, under ComfyUI's prefix (`qwen_image_fp8_e4m3fn.safetensors`).

Each converter only renames, splits rows and drops a prefix: fp8 tensors stay fp8.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COMFY_PREFIX = "model.diffusion_model."


def without_prefix(checkpoint: dict[str, Any], prefix: str = COMFY_PREFIX) -> dict[str, Any]:
    return {k.removeprefix(prefix): v for k, v in checkpoint.items()}


def qwen_image_to_diffusers(checkpoint: dict[str, Any], _config: Mapping[str, Any]) -> dict[str, Any]:
    # Qwen-Image-Edit 2511's empty marker tensor (`__index_timestep_zero__`) is no weight: its config says it.
    return {k: v for k, v in without_prefix(checkpoint).items() if k != "__index_timestep_zero__"}


def flux2_to_diffusers(checkpoint: dict[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    from diffusers.loaders import single_file_utils

    convert: Any = single_file_utils.convert_flux2_transformer_checkpoint_to_diffusers  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]  # untyped
    converted: dict[str, Any] = convert(without_prefix(checkpoint))
    return converted


def flux2_vae_to_diffusers(checkpoint: dict[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    import torch
    from diffusers.loaders import single_file_utils

    state = without_prefix(without_prefix(checkpoint, "vae."), "first_stage_model.")
    convert: Any = single_file_utils.convert_ldm_vae_checkpoint  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]  # untyped
    converted: dict[str, Any] = convert(state, dict(config))
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        if f"bn.{name}" in state:
            converted[f"bn.{name}"] = state[f"bn.{name}"]
    # BFL's file keeps the statistics only; the counter is not used when the statistics are applied.
    converted.setdefault("bn.num_batches_tracked", torch.tensor(0))
    return converted
