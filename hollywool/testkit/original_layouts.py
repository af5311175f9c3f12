"""Tiny files in the key layouts Civitai and ComfyUI users download, from the tiny diffusers folders.

* `write_comfy_transformer`: a transformer in diffusers' own names under ComfyUI's `model.diffusion_model.`
  prefix, as ComfyUI publishes Qwen-Image's diffusion models (their original names are diffusers').
* `write_wan_original`: a Wan transformer in Wan's original names (`blocks.N.self_attn.q`, `head.modulation`),
  the mapping of diffusers' `convert_wan_transformer_to_diffusers` written the other way.
* `write_zimage_split_files`: Z-Image as ComfyUI's split files (Comfy-Org/z_image_turbo): the diffusion model in
  the original names (`layers.N.attention.qkv`, `.out`, `q_norm`, `final_layer`, `x_embedder`; the mapping of
  diffusers' `convert_z_image_transformer_checkpoint_to_diffusers` the other way), the Qwen3 text encoder in
  transformers' names under `model.`, and the VAE in the LDM layout (`ae.safetensors`).
* `write_flux2_lora`: a FLUX.2 LoRA in ai-toolkit's layout (`diffusion_model.double_blocks.N.img_attn.qkv`,
  `single_blocks.N.linear1`), which diffusers' FLUX.2 loader converts; both matrices random (seeded).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

COMFY_PREFIX = "model.diffusion_model."

# diffusers' name -> Wan's original name, applied one after the other to each key.
_WAN_RENAMES = (
    (r"condition_embedder\.time_embedder\.linear_1", "time_embedding.0"),
    (r"condition_embedder\.time_embedder\.linear_2", "time_embedding.2"),
    (r"condition_embedder\.text_embedder\.linear_1", "text_embedding.0"),
    (r"condition_embedder\.text_embedder\.linear_2", "text_embedding.2"),
    (r"condition_embedder\.time_proj", "time_projection.1"),
    (r"\.attn1\.", ".self_attn."),
    (r"\.attn2\.", ".cross_attn."),
    (r"\.to_out\.0\.", ".o."),
    (r"\.to_q\.", ".q."),
    (r"\.to_k\.", ".k."),
    (r"\.to_v\.", ".v."),
    (r"\.add_k_proj\.", ".k_img."),
    (r"\.add_v_proj\.", ".v_img."),
    (r"\.norm_added_k\.", ".norm_k_img."),
    (r"^scale_shift_table$", "head.modulation"),
    (r"\.scale_shift_table$", ".modulation"),
    (r"^proj_out\.", "head.head."),
    (r"\.ffn\.net\.0\.proj\.", ".ffn.0."),
    (r"\.ffn\.net\.2\.", ".ffn.2."),
    (r"\.norm2\.", ".norm__swap."),
    (r"\.norm3\.", ".norm2."),
    (r"\.norm__swap\.", ".norm3."),
)


def _transformer(folder: str | Path) -> dict[str, torch.Tensor]:
    return load_file(next((Path(folder) / "transformer").glob("*.safetensors")))


def _save(tensors: dict[str, torch.Tensor], out_path: str | Path) -> Path:
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(out))
    return out


def write_comfy_transformer(folder: str | Path, out_path: str | Path) -> Path:
    return _save({COMFY_PREFIX + k: v for k, v in _transformer(folder).items()}, out_path)


def wan_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        for pattern, name in _WAN_RENAMES:
            key = re.sub(pattern, name, key)
        out[key] = value
    return out


def write_wan_original(folder: str | Path, out_path: str | Path, *, comfy_prefix: bool = False) -> Path:
    prefix = COMFY_PREFIX if comfy_prefix else ""
    return _save({prefix + k: v for k, v in wan_to_original(_transformer(folder)).items()}, out_path)


def write_flux2_lora(folder: str | Path, out_path: str | Path, *, rank: int = 4, seed: int = 0) -> Path:
    """A LoRA on every double block's image and text qkv and every single block's linear1 and linear2."""
    state = _transformer(folder)
    gen = torch.Generator().manual_seed(seed)
    out: dict[str, torch.Tensor] = {}

    def pair(name: str, rows: int, cols: int) -> None:
        out[f"diffusion_model.{name}.lora_A.weight"] = torch.randn(rank, cols, generator=gen) * 0.3
        out[f"diffusion_model.{name}.lora_B.weight"] = torch.randn(rows, rank, generator=gen) * 0.3

    doubles = sorted({int(k.split(".")[1]) for k in state if k.startswith("transformer_blocks.")})
    singles = sorted({int(k.split(".")[1]) for k in state if k.startswith("single_transformer_blocks.")})
    for i in doubles:
        width = state[f"transformer_blocks.{i}.attn.to_q.weight"].shape[1]
        pair(f"double_blocks.{i}.img_attn.qkv", 3 * width, width)
        pair(f"double_blocks.{i}.txt_attn.qkv", 3 * width, width)
    for i in singles:
        rows, cols = state[f"single_transformer_blocks.{i}.attn.to_qkv_mlp_proj.weight"].shape
        pair(f"single_blocks.{i}.linear1", rows, cols)
        rows, cols = state[f"single_transformer_blocks.{i}.attn.to_out.weight"].shape
        pair(f"single_blocks.{i}.linear2", rows, cols)
    return _save(out, out_path)


_ZIMAGE_RENAMES = (
    ("all_final_layer.2-1.", "final_layer."),
    ("all_x_embedder.2-1.", "x_embedder."),
    (".attention.to_out.0.", ".attention.out."),
    (".attention.norm_k.", ".attention.k_norm."),
    (".attention.norm_q.", ".attention.q_norm."),
)


def zimage_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key in sorted(state):
        if ".attention.to_k." in key or ".attention.to_v." in key:
            continue  # fused into qkv with to_q
        if ".attention.to_q." in key:
            parts = [state[key.replace(".to_q.", f".to_{p}.")] for p in "qkv"]
            out[key.replace(".attention.to_q.", ".attention.qkv.")] = torch.cat(parts)
            continue
        new = key
        for old, name in _ZIMAGE_RENAMES:
            new = new.replace(old, name)
        out[new] = state[key]
    return out


def write_zimage_split_files(folder: str | Path, out_dir: str | Path) -> tuple[Path, Path, Path]:
    """(diffusion model, text encoder, VAE) of the tiny Z-Image folder in ComfyUI's folders under `out_dir`."""
    import json

    from hollywool.testkit.single_file import vae_to_ldm

    folder, out_dir = Path(folder), Path(out_dir)
    original = zimage_to_original(_transformer(folder))
    model = _save(
        {COMFY_PREFIX + k: v for k, v in original.items()}, out_dir / "diffusion_models" / "z_image_tiny.safetensors"
    )
    encoder = load_file(next((folder / "text_encoder").glob("*.safetensors")))
    text = _save({f"model.{k}": v for k, v in encoder.items()}, out_dir / "text_encoders" / "qwen_3_tiny.safetensors")
    vae_config = json.loads((folder / "vae" / "config.json").read_text())
    vae_state = load_file(next((folder / "vae").glob("*.safetensors")))
    vae = _save(vae_to_ldm(vae_state, vae_config), out_dir / "vae" / "ae.safetensors")
    return model, text, vae


def write_ltx2_lora(out_path: str | Path, *, layers: int = 2, width: int = 32, rank: int = 4) -> Path:
    """A small LoRA in the layout of ComfyUI's LTX-2 LoRAs (`diffusion_model.transformer_blocks.N.attn1.to_q`):
    its keys alone name no family the studio runs LoRAs on."""
    gen = torch.Generator().manual_seed(0)
    out: dict[str, torch.Tensor] = {}
    for i in range(layers):
        for part in ("attn1.to_q", "attn1.to_k", "attn2.to_v", "audio_attn1.to_q"):
            name = f"diffusion_model.transformer_blocks.{i}.{part}"
            out[f"{name}.lora_A.weight"] = torch.randn(rank, width, generator=gen)
            out[f"{name}.lora_B.weight"] = torch.randn(width, rank, generator=gen)
    return _save(out, out_path)
