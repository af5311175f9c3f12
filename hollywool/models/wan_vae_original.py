"""Wan's video VAEs in their original names, mapped to diffusers': Wan 2.1's (Wan's `vae.py`; ComfyUI's
`qwen_image_vae.safetensors`) to `AutoencoderKLQwenImage` (and `AutoencoderKLWan` without residual blocks, which has
the same names), and Wan 2.2's (`vae2_2.py`; ComfyUI's `wan2.2_vae.safetensors`) to `AutoencoderKLWan` with
`is_residual`.

diffusers 0.42.1 loads no Qwen-Image VAE from a single file, and its Wan VAE conversion hard-codes the decoder's
block indices of the full-size model (two residual blocks per level). Here the indices come from the config.

The original decoder is one flat list per level: `num_res_blocks + 1` residual blocks, then a resample layer on
every level but the last; diffusers groups them as `up_blocks.L.resnets.M` and `up_blocks.L.upsamplers.0`. The
encoder's list is flat in both (`downsamples.N` = `down_blocks.N`). Wan 2.2 nests a list per level instead
(`encoder.downsamples.L.downsamples.M`, `decoder.upsamples.L.upsamples.M`): its residual blocks, then the resample
layer (diffusers' `resnets.M`, `downsampler` / `upsampler`). Inside a residual block, the original
`residual` Sequential is (RMS norm, SiLU, conv, RMS norm, SiLU, dropout, conv).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_RESIDUAL = {"residual.0.": "norm1.", "residual.2.": "conv1.", "residual.3.": "norm2.", "residual.6.": "conv2."}
_TOP = {
    "conv1.": "quant_conv.",
    "conv2.": "post_quant_conv.",
    "encoder.conv1.": "encoder.conv_in.",
    "decoder.conv1.": "decoder.conv_in.",
    "encoder.head.0.": "encoder.norm_out.",
    "encoder.head.2.": "encoder.conv_out.",
    "decoder.head.0.": "decoder.norm_out.",
    "decoder.head.2.": "decoder.conv_out.",
}
_MIDDLE = re.compile(r"^(encoder|decoder)\.middle\.(\d)\.(.*)$")
_UPSAMPLE = re.compile(r"^decoder\.upsamples\.(\d+)\.(.*)$")
_NESTED = re.compile(r"^(encoder\.down|decoder\.up)samples\.(\d+)\.(?:down|up)samples\.(\d+)\.(.*)$")


def _block(rest: str) -> str:
    """A residual block's parameter: its `residual.N` and `shortcut` in diffusers' names."""
    for old, new in _RESIDUAL.items():
        if rest.startswith(old):
            return new + rest[len(old) :]
    return rest.replace("shortcut.", "conv_shortcut.", 1) if rest.startswith("shortcut.") else rest


def _decoder_layout(config: Mapping[str, Any]) -> list[str]:
    """diffusers' name for each index of the original decoder's flat list."""
    levels = len(config["dim_mult"])
    per_level = int(config["num_res_blocks"]) + 1
    names: list[str] = []
    for level in range(levels):
        names += [f"decoder.up_blocks.{level}.resnets.{m}." for m in range(per_level)]
        if level != levels - 1:
            names.append(f"decoder.up_blocks.{level}.upsamplers.0.")
    return names


def _nested(key: str, config: Mapping[str, Any]) -> str | None:
    """Wan 2.2's per-level lists in diffusers' names, or None for another key."""
    m = _NESTED.match(key)
    if m is None:
        return None
    part, level, index, rest = m.group(1), m.group(2), int(m.group(3)), m.group(4)
    blocks = int(config["num_res_blocks"]) + (0 if part == "encoder.down" else 1)
    if index < blocks:
        return f"{part}_blocks.{level}.resnets.{index}.{_block(rest)}"
    return f"{part}_blocks.{level}.{'downsampler' if part == 'encoder.down' else 'upsampler'}.{rest}"


def wan_vae_to_diffusers(checkpoint: dict[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """Wan 2.1's or Wan 2.2's VAE (the config's `is_residual` says which) in diffusers' names."""
    if not config.get("is_residual"):
        return wan21_vae_to_diffusers(checkpoint, config)
    plain: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for full, tensor in checkpoint.items():
        key = full.removeprefix("vae.").removeprefix("first_stage_model.")
        new = _nested(key, config)
        if new is None:
            plain[key] = tensor
        else:
            out[new] = tensor
    return out | wan21_vae_to_diffusers(plain, config)


def wan21_vae_to_diffusers(checkpoint: dict[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    decoder = _decoder_layout(config)
    out: dict[str, Any] = {}
    for full, tensor in checkpoint.items():
        key = full.removeprefix("vae.").removeprefix("first_stage_model.")
        new = next((n + key[len(o) :] for o, n in _TOP.items() if key.startswith(o)), None)
        if new is None and (m := _MIDDLE.match(key)):
            part, index, rest = m.groups()
            new = (
                f"{part}.mid_block.attentions.0.{rest}"
                if index == "1"
                else f"{part}.mid_block.resnets.{int(index) // 2}.{_block(rest)}"
            )
        elif new is None and (m := _UPSAMPLE.match(key)):
            target = decoder[int(m.group(1))]
            new = target + (m.group(2) if "upsamplers" in target else _block(m.group(2)))
        elif new is None and key.startswith("encoder.downsamples."):
            index, _, rest = key.removeprefix("encoder.downsamples.").partition(".")
            new = f"encoder.down_blocks.{index}.{_block(rest)}"
        out[new or key] = tensor
    return out
