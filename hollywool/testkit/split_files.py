"""Write a FLUX.1 model as the split files ComfyUI users hold, from a tiny diffusers folder.

* The diffusion model in Black Forest Labs' original key layout (`double_blocks.N.img_attn.qkv`,
  `single_blocks.N.linear1`, `final_layer.adaLN_modulation.1` with (shift, scale) rows), as
  `flux1-dev.safetensors` is published; optionally under ComfyUI's `model.diffusion_model.` prefix,
  in fp8 (`float8_e4m3fn`, small and 1-D tensors kept in bf16 as fp8 converters do), or as GGUF.
* GGUF the way city96's ComfyUI-GGUF `convert.py` writes it: architecture `flux`, 1-D and small
  tensors in F32, the input and output projections in F16, the rest quantized; a tensor whose rows do
  not fill whole blocks of the type falls back to Q8_0, then F16 (as llama.cpp's quantizer does).
  The writer is the test kit's one (gguf_files.py): Q4_K quantized from the weights, other K types packed
  with valid fp16 scales and random quants, which tests the loader's dequantization all the same.
* `clip_l.safetensors` in transformers' names under `text_model.` (as ComfyUI ships it),
  `t5xxl.safetensors` in transformers' T5 encoder names, and `ae.safetensors` in the LDM VAE layout
  without a prefix.

This is the mapping of hollywool/models/flux_original.py written the other way, independently.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from hollywool.testkit.single_file import vae_to_ldm

_TOP = {
    "time_text_embed.timestep_embedder.linear_1": "time_in.in_layer",
    "time_text_embed.timestep_embedder.linear_2": "time_in.out_layer",
    "time_text_embed.text_embedder.linear_1": "vector_in.in_layer",
    "time_text_embed.text_embedder.linear_2": "vector_in.out_layer",
    "time_text_embed.guidance_embedder.linear_1": "guidance_in.in_layer",
    "time_text_embed.guidance_embedder.linear_2": "guidance_in.out_layer",
    "context_embedder": "txt_in",
    "x_embedder": "img_in",
    "proj_out": "final_layer.linear",
}
_DOUBLE = {
    "norm1.linear": "img_mod.lin",
    "norm1_context.linear": "txt_mod.lin",
    "attn.norm_q.weight": "img_attn.norm.query_norm.scale",
    "attn.norm_k.weight": "img_attn.norm.key_norm.scale",
    "attn.norm_added_q.weight": "txt_attn.norm.query_norm.scale",
    "attn.norm_added_k.weight": "txt_attn.norm.key_norm.scale",
    "ff.net.0.proj": "img_mlp.0",
    "ff.net.2": "img_mlp.2",
    "ff_context.net.0.proj": "txt_mlp.0",
    "ff_context.net.2": "txt_mlp.2",
    "attn.to_out.0": "img_attn.proj",
    "attn.to_add_out": "txt_attn.proj",
}
_SINGLE = {
    "norm.linear": "modulation.lin",
    "attn.norm_q.weight": "norm.query_norm.scale",
    "attn.norm_k.weight": "norm.key_norm.scale",
    "proj_out": "linear2",
}
_HIGH_PRECISION = ("img_in.", "txt_in.", "final_layer.")  # city96's converter keeps these out of quantization


def _component(folder: Path, name: str) -> dict[str, torch.Tensor]:
    return load_file(next((folder / name).glob("*.safetensors")))


def _lookup(rest: str, table: dict[str, str]) -> str:
    for new, old in table.items():
        if rest == new or rest.startswith(new + "."):
            return old + rest[len(new) :]
    raise KeyError(f"no original FLUX name for {rest!r}")


def flux_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A diffusers `FluxTransformer2DModel` state dict in BFL's original names."""
    state = dict(state)
    out: dict[str, torch.Tensor] = {}
    doubles = sorted({int(k.split(".")[1]) for k in state if k.startswith("transformer_blocks.")})
    singles = sorted({int(k.split(".")[1]) for k in state if k.startswith("single_transformer_blocks.")})
    for i in doubles:
        src, dst = f"transformer_blocks.{i}.", f"double_blocks.{i}."
        for kind in ("weight", "bias"):
            out[f"{dst}img_attn.qkv.{kind}"] = torch.cat([state.pop(f"{src}attn.to_{p}.{kind}") for p in "qkv"])
            out[f"{dst}txt_attn.qkv.{kind}"] = torch.cat([state.pop(f"{src}attn.add_{p}_proj.{kind}") for p in "qkv"])
        for key in [k for k in state if k.startswith(src)]:
            out[dst + _lookup(key[len(src) :], _DOUBLE)] = state.pop(key)
    for i in singles:
        src, dst = f"single_transformer_blocks.{i}.", f"single_blocks.{i}."
        for kind in ("weight", "bias"):
            parts = [state.pop(f"{src}attn.to_{p}.{kind}") for p in "qkv"] + [state.pop(f"{src}proj_mlp.{kind}")]
            out[f"{dst}linear1.{kind}"] = torch.cat(parts)
        for key in [k for k in state if k.startswith(src)]:
            out[dst + _lookup(key[len(src) :], _SINGLE)] = state.pop(key)
    for kind in ("weight", "bias"):
        if f"norm_out.linear.{kind}" not in state:  # Chroma: no final modulation layer
            continue
        scale, shift = torch.chunk(state.pop(f"norm_out.linear.{kind}"), 2, dim=0)
        out[f"final_layer.adaLN_modulation.1.{kind}"] = torch.cat([shift, scale])
    for key in list(state):
        out[_lookup(key, _TOP)] = state.pop(key)
    return out


def _save(tensors: dict[str, torch.Tensor], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path))
    return path


def write_flux_diffusion_model(
    folder: str | Path, out_path: str | Path, *, fp8: bool = False, comfy_prefix: bool = False, scaled: bool = False
) -> Path:
    """The tiny FLUX transformer as an original-layout diffusion-model file: its own dtype, or fp8 when `fp8`
    (matrices fp8, the small and 1-D tensors bf16). `scaled`: ComfyUI's scaled fp8, each matrix stored as
    weight / scale with a `scale_weight` beside it and a `scaled_fp8` marker."""
    original = flux_to_original(_component(Path(folder), "transformer"))
    prefix = "model.diffusion_model." if comfy_prefix else ""
    out: dict[str, torch.Tensor] = {}
    for key, value in original.items():
        if fp8:
            big = value.ndim == 2 and value.numel() > 1024
            if big and scaled:
                scale = value.abs().max().float() / 448.0  # the largest float8_e4m3fn value
                out[prefix + key.removesuffix("weight") + "scale_weight"] = scale.reshape(())
                value = value.float() / scale
            value = value.to(torch.float8_e4m3fn if big else torch.bfloat16)
        out[prefix + key] = value
    if scaled:
        out[prefix + "scaled_fp8"] = torch.empty(0, dtype=torch.float8_e4m3fn)
    return _save(out, Path(out_path))


def write_flux_text_encoders(folder: str | Path, out_dir: str | Path) -> tuple[Path, Path]:
    """(clip_l.safetensors, t5xxl.safetensors) of the tiny FLUX folder, in ComfyUI's names."""
    folder, out_dir = Path(folder), Path(out_dir)
    clip = {f"text_model.{k.removeprefix('text_model.')}": v for k, v in _component(folder, "text_encoder").items()}
    t5 = {k: v for k, v in _component(folder, "text_encoder_2").items() if k != "encoder.embed_tokens.weight"}
    return _save(clip, out_dir / "clip_l.safetensors"), _save(t5, out_dir / "t5xxl.safetensors")


def write_flux_vae(folder: str | Path, out_path: str | Path) -> Path:
    """The tiny FLUX VAE as `ae.safetensors`: LDM names, no prefix."""
    folder = Path(folder)
    config = json.loads((folder / "vae" / "config.json").read_text())
    return _save(vae_to_ldm(_component(folder, "vae"), config), Path(out_path))


# -- GGUF ----------------------------------------------------------------------------------------------
def write_flux_gguf(folder: str | Path, out_path: str | Path, qtype: str = "Q8_0") -> Path:
    """The tiny FLUX transformer as a GGUF diffusion-model file quantized to `qtype` (Q8_0, Q5_K, Q4_K), as city96's
    converter writes FLUX: the input and output projections in F16, rows that do not fill `qtype`'s blocks in Q8_0."""
    from hollywool.testkit.gguf_files import write_gguf  # it imports this module's layouts

    original = flux_to_original(_component(Path(folder), "transformer"))
    return write_gguf(original, out_path, qtype, "flux", keep_f16=_HIGH_PRECISION, fallback="Q8_0")
