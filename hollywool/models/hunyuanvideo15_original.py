"""HunyuanVideo 1.5's original key layout (Tencent's checkpoints, ComfyUI's files) -> diffusers'.

Tencent's transformer (`double_blocks.N.img_attn_q`, `txt_in.individual_token_refiner.blocks.N.self_attn_qkv`,
`byt5_in.fc1`, `vision_in.proj.N`, `final_layer.adaLN_modulation.1` as (shift, scale)), with or without ComfyUI's
`model.diffusion_model.` prefix, becomes `HunyuanVideo15Transformer3DModel`'s names; the VAE's LDM-like names
(`encoder.down.N.block.M`, `mid.block_1`, `mid.attn_1.q`) become `AutoencoderKLHunyuanVideo15`'s. The mapping is the
one of diffusers' scripts/convert_hunyuan_video1_5_to_diffusers.py, which diffusers 0.42.1 does not ship as a
single-file loader. Each converter only renames and splits rows: fp8 tensors stay fp8.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hollywool.models.comfy_layouts import without_prefix

# Whole-name prefixes: original -> diffusers.
_TOP = {
    "time_in.mlp.0.": "time_embed.timestep_embedder.linear_1.",
    "time_in.mlp.2.": "time_embed.timestep_embedder.linear_2.",
    "txt_in.t_embedder.mlp.0.": "context_embedder.time_text_embed.timestep_embedder.linear_1.",
    "txt_in.t_embedder.mlp.2.": "context_embedder.time_text_embed.timestep_embedder.linear_2.",
    "txt_in.c_embedder.": "context_embedder.time_text_embed.text_embedder.",
    "txt_in.input_embedder.": "context_embedder.proj_in.",
    "byt5_in.layernorm.": "context_embedder_2.norm.",
    "byt5_in.fc1.": "context_embedder_2.linear_1.",
    "byt5_in.fc2.": "context_embedder_2.linear_2.",
    "byt5_in.fc3.": "context_embedder_2.linear_3.",
    "vision_in.proj.0.": "image_embedder.norm_in.",
    "vision_in.proj.1.": "image_embedder.linear_1.",
    "vision_in.proj.3.": "image_embedder.linear_2.",
    "vision_in.proj.4.": "image_embedder.norm_out.",
    "img_in.proj.": "x_embedder.proj.",
    "cond_type_embedding.": "cond_type_embed.",
    "final_layer.linear.": "proj_out.",
}
# Inside `double_blocks.N.` -> `transformer_blocks.N.` (longest names first: `img_attn_q_norm` before `img_attn_q`).
_BLOCK = {
    "img_mod.linear.": "norm1.linear.",
    "txt_mod.linear.": "norm1_context.linear.",
    "img_attn_q_norm.": "attn.norm_q.",
    "img_attn_k_norm.": "attn.norm_k.",
    "txt_attn_q_norm.": "attn.norm_added_q.",
    "txt_attn_k_norm.": "attn.norm_added_k.",
    "img_attn_q.": "attn.to_q.",
    "img_attn_k.": "attn.to_k.",
    "img_attn_v.": "attn.to_v.",
    "img_attn_proj.": "attn.to_out.0.",
    "txt_attn_q.": "attn.add_q_proj.",
    "txt_attn_k.": "attn.add_k_proj.",
    "txt_attn_v.": "attn.add_v_proj.",
    "txt_attn_proj.": "attn.to_add_out.",
    "img_mlp.fc1.": "ff.net.0.proj.",
    "img_mlp.fc2.": "ff.net.2.",
    "txt_mlp.fc1.": "ff_context.net.0.proj.",
    "txt_mlp.fc2.": "ff_context.net.2.",
}
# Inside `txt_in.individual_token_refiner.blocks.N.` -> `context_embedder.token_refiner.refiner_blocks.N.`.
_REFINER = {
    "norm1.": "norm1.",
    "norm2.": "norm2.",
    "self_attn_proj.": "attn.to_out.0.",
    "mlp.fc1.": "ff.net.0.proj.",
    "mlp.fc2.": "ff.net.2.",
    "adaLN_modulation.1.": "norm_out.linear.",
}
_DOUBLE = re.compile(r"^double_blocks\.(\d+)\.(.+)$")
_REFINER_BLOCK = re.compile(r"^txt_in\.individual_token_refiner\.blocks\.(\d+)\.(.+)$")


def _inner(rest: str, table: Mapping[str, str], key: str) -> str:
    for old, new in table.items():
        if rest.startswith(old):
            return new + rest[len(old) :]
    raise KeyError(f"no diffusers name for {key!r}")


def hunyuanvideo15_to_diffusers(checkpoint: dict[str, Any], _config: Mapping[str, Any]) -> dict[str, Any]:
    """Tencent's / ComfyUI's HunyuanVideo 1.5 transformer -> `HunyuanVideo15Transformer3DModel`'s state dict."""
    out: dict[str, Any] = {}
    for key, value in without_prefix(checkpoint).items():
        if match := _DOUBLE.match(key):
            out[f"transformer_blocks.{match[1]}.{_inner(match[2], _BLOCK, key)}"] = value
        elif match := _REFINER_BLOCK.match(key):
            block = f"context_embedder.token_refiner.refiner_blocks.{match[1]}."
            rest = match[2]
            if rest.startswith("self_attn_qkv."):  # one fused projection -> to_q, to_k, to_v (rows in thirds)
                for name, part in zip(("to_q", "to_k", "to_v"), value.chunk(3, dim=0), strict=True):
                    out[f"{block}attn.{name}.{rest.removeprefix('self_attn_qkv.')}"] = part
            else:
                out[block + _inner(rest, _REFINER, key)] = value
        elif key.startswith("final_layer.adaLN_modulation.1."):  # (shift, scale) -> diffusers' (scale, shift)
            shift, scale = value.chunk(2, dim=0)
            out["norm_out.linear." + key.rsplit(".", 1)[1]] = _cat(scale, shift)
        else:
            out[_inner(key, _TOP, key)] = value
    return out


def _cat(first: Any, second: Any) -> Any:
    import torch

    return torch.cat([first, second], dim=0)


# VAE: (pattern, replacement) on the original names, applied in order.
_VAE = (
    (re.compile(r"^encoder\.down\.(\d+)\.block\.(\d+)\."), r"encoder.down_blocks.\1.resnets.\2."),
    (re.compile(r"^encoder\.down\.(\d+)\.downsample\."), r"encoder.down_blocks.\1.downsamplers.0."),
    (re.compile(r"^decoder\.up\.(\d+)\.block\.(\d+)\."), r"decoder.up_blocks.\1.resnets.\2."),
    (re.compile(r"^decoder\.up\.(\d+)\.upsample\."), r"decoder.up_blocks.\1.upsamplers.0."),
    (re.compile(r"^(encoder|decoder)\.mid\.block_1\."), r"\1.mid_block.resnets.0."),
    (re.compile(r"^(encoder|decoder)\.mid\.block_2\."), r"\1.mid_block.resnets.1."),
    (re.compile(r"^(encoder|decoder)\.mid\.attn_1\.([qkv])\."), r"\1.mid_block.attentions.0.to_\2."),
    (re.compile(r"^(encoder|decoder)\.mid\.attn_1\."), r"\1.mid_block.attentions.0."),
    (re.compile(r"\.nin_shortcut\."), ".conv_shortcut."),
)


def hunyuanvideo15_vae_to_diffusers(checkpoint: dict[str, Any], _config: Mapping[str, Any]) -> dict[str, Any]:
    """HunyuanVideo 1.5's original VAE names -> `AutoencoderKLHunyuanVideo15`'s (a `vae.` or `first_stage_model.`
    prefix dropped)."""
    out: dict[str, Any] = {}
    for key, value in without_prefix(without_prefix(checkpoint, "vae."), "first_stage_model.").items():
        for pattern, replacement in _VAE:
            key = pattern.sub(replacement, key)
        out[key] = value
    return out
