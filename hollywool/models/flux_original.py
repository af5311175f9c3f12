"""FLUX.1 diffusion-model files in Black Forest Labs' original key layout, mapped to diffusers' names.

diffusers' own conversion (`convert_flux_transformer_checkpoint_to_diffusers`) assumes the full-size
model's width (3072): it cannot load a FLUX.1-architecture file of another width, such as the test
kit's tiny one. This mapping is the same, with the widths taken from the diffusers config; a test
checks that both give the same keys and shapes at full size. It only renames, splits and swaps rows,
so it works on plain, fp8 and GGUF-quantized tensors alike (a GGUF tensor keeps its rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_PREFIX = "model.diffusion_model."
_TOP = {
    "time_in.in_layer": "time_text_embed.timestep_embedder.linear_1",
    "time_in.out_layer": "time_text_embed.timestep_embedder.linear_2",
    "vector_in.in_layer": "time_text_embed.text_embedder.linear_1",
    "vector_in.out_layer": "time_text_embed.text_embedder.linear_2",
    "guidance_in.in_layer": "time_text_embed.guidance_embedder.linear_1",
    "guidance_in.out_layer": "time_text_embed.guidance_embedder.linear_2",
    "txt_in": "context_embedder",
    "img_in": "x_embedder",
    "final_layer.linear": "proj_out",
}
_DOUBLE = {
    "img_mod.lin": "norm1.linear",
    "txt_mod.lin": "norm1_context.linear",
    "img_attn.norm.query_norm.scale": "attn.norm_q.weight",
    "img_attn.norm.key_norm.scale": "attn.norm_k.weight",
    "txt_attn.norm.query_norm.scale": "attn.norm_added_q.weight",
    "txt_attn.norm.key_norm.scale": "attn.norm_added_k.weight",
    "img_mlp.0": "ff.net.0.proj",
    "img_mlp.2": "ff.net.2",
    "txt_mlp.0": "ff_context.net.0.proj",
    "txt_mlp.2": "ff_context.net.2",
    "img_attn.proj": "attn.to_out.0",
    "txt_attn.proj": "attn.to_add_out",
}
_SINGLE = {
    "modulation.lin": "norm.linear",
    "norm.query_norm.scale": "attn.norm_q.weight",
    "norm.key_norm.scale": "attn.norm_k.weight",
    "linear2": "proj_out",
}
_QKV = {
    "img_attn.qkv": ("attn.to_q", "attn.to_k", "attn.to_v"),
    "txt_attn.qkv": ("attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj"),
}


def _rename(rest: str, table: Mapping[str, str]) -> str | None:
    for old, new in table.items():
        if rest == old:
            return new
        if rest.startswith(old + "."):
            return new + rest[len(old) :]
    return None


def flux1_to_diffusers(checkpoint: dict[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """A FLUX.1 original-layout state dict (BFL or ComfyUI's `model.diffusion_model.` prefix) in diffusers'
    `FluxTransformer2DModel` names. Keys it does not know are left out (diffusers' conversion does the same)."""
    import torch

    inner = int(config["num_attention_heads"]) * int(config["attention_head_dim"])
    mlp = inner * 4  # FLUX.1's single blocks fuse q, k, v and a 4x MLP into `linear1`
    out: dict[str, Any] = {}
    for full, tensor in checkpoint.items():
        key = full.removeprefix(_PREFIX)
        head, _, rest = key.partition(".")
        if head == "double_blocks":
            index, _, rest = rest.partition(".")
            prefix = f"transformer_blocks.{index}."
            qkv = next(((old, names) for old, names in _QKV.items() if rest.startswith(old + ".")), None)
            if qkv is not None:
                kind = rest[len(qkv[0]) + 1 :]
                for name, part in zip(qkv[1], torch.chunk(tensor, 3, dim=0), strict=True):
                    out[f"{prefix}{name}.{kind}"] = part
                continue
            new = _rename(rest, _DOUBLE)
        elif head == "single_blocks":
            index, _, rest = rest.partition(".")
            prefix = f"single_transformer_blocks.{index}."
            if rest.startswith("linear1."):
                kind = rest.removeprefix("linear1.")
                parts = torch.split(tensor, [inner, inner, inner, mlp], dim=0)
                for name, part in zip(("attn.to_q", "attn.to_k", "attn.to_v", "proj_mlp"), parts, strict=True):
                    out[f"{prefix}{name}.{kind}"] = part
                continue
            new = _rename(rest, _SINGLE)
        elif key.startswith("final_layer.adaLN_modulation.1."):
            # The original splits the modulation as (shift, scale); diffusers' AdaLayerNormContinuous as (scale, shift).
            shift, scale = torch.chunk(tensor, 2, dim=0)
            out["norm_out.linear." + key.rsplit(".", 1)[1]] = torch.cat([scale, shift], dim=0)
            continue
        else:
            prefix, new = "", _rename(key, _TOP)
        if new is not None:
            out[prefix + new] = tensor
    return out


_GUIDANCE = {"in_layer": "linear_1", "out_layer": "linear_2"}


def chroma_to_diffusers(checkpoint: dict[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """A Chroma original-layout state dict in diffusers' `ChromaTransformer2DModel` names.

    Chroma is FLUX.1's layout without the per-block modulation layers, plus its own guidance network
    (`distilled_guidance_layer.{in_proj, layers.N.in_layer/out_layer, norms.N.scale, out_proj}`) that computes
    every block's modulation. diffusers' own conversion assumes the full-size width (3072), as for FLUX.1."""
    out = flux1_to_diffusers(checkpoint, config)
    for full, tensor in checkpoint.items():
        key = full.removeprefix(_PREFIX)
        if not key.startswith("distilled_guidance_layer."):
            continue
        rest = key.removeprefix("distilled_guidance_layer.")
        parts = rest.split(".")
        if parts[0] == "layers" and parts[2] in _GUIDANCE:  # layers.N.in_layer.weight
            rest = f"layers.{parts[1]}.{_GUIDANCE[parts[2]]}.{parts[3]}"
        elif parts[0] == "norms" and parts[-1] == "scale":  # norms.N.scale
            rest = f"norms.{parts[1]}.weight"
        out["distilled_guidance_layer." + rest] = tensor
    return out
