"""Write original-layout (LDM / A1111 / Civitai style) single-file checkpoints from diffusers folders.

This is diffusers' single-file conversion run backwards, so tests can feed ``from_single_file`` (and the
product's checkpoint identification) a realistic file built from a tiny model. The layouts:

* UNet under ``model.diffusion_model.`` with ``input_blocks`` / ``middle_block`` / ``output_blocks``.
* VAE under ``first_stage_model.`` with ``encoder.down.N.block.M`` / ``decoder.up.N...`` (reversed order).
* SD 1.x text encoder under ``cond_stage_model.transformer.text_model.``.
* SDXL: CLIP-L under ``conditioner.embedders.0.transformer.text_model.`` and the OpenCLIP-G encoder under
  ``conditioner.embedders.1.model.`` (fused ``in_proj`` attention, transposed ``text_projection``).

transformers 5 saves ``CLIPTextModel`` without the ``text_model.`` prefix (``CLIPTextModelWithProjection``
keeps it); both are normalised here.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

UNET_PREFIX = "model.diffusion_model."
VAE_PREFIX = "first_stage_model."
SD1_CLIP_PREFIX = "cond_stage_model.transformer.text_model."
SDXL_CLIP_PREFIX = "conditioner.embedders.0.transformer.text_model."
SDXL_OPEN_CLIP_PREFIX = "conditioner.embedders.1.model."

_UNET_TOP_LEVEL = {
    "time_embedding.linear_1.": "time_embed.0.",
    "time_embedding.linear_2.": "time_embed.2.",
    "add_embedding.linear_1.": "label_emb.0.0.",
    "add_embedding.linear_2.": "label_emb.0.2.",
    "conv_in.": "input_blocks.0.0.",
    "conv_norm_out.": "out.0.",
    "conv_out.": "out.2.",
}
_UNET_RESNET = {
    "norm1.": "in_layers.0.",
    "conv1.": "in_layers.2.",
    "time_emb_proj.": "emb_layers.1.",
    "norm2.": "out_layers.0.",
    "conv2.": "out_layers.3.",
    "conv_shortcut.": "skip_connection.",
}
_VAE_ATTENTION = {
    "group_norm.": "norm.",
    "to_q.": "q.",
    "to_k.": "k.",
    "to_v.": "v.",
    "to_out.0.": "proj_out.",
}


def _load_component(folder: Path, name: str) -> tuple[dict[str, torch.Tensor], dict]:
    sub = folder / name
    weights = next(sub.glob("*.safetensors"))  # diffusion_pytorch_model.safetensors or model.safetensors
    return load_file(weights), json.loads((sub / "config.json").read_text())


def _rename_prefix(key: str, table: dict[str, str]) -> str | None:
    for old, new in table.items():
        if key.startswith(old):
            return new + key[len(old) :]
    return None


def unet_to_ldm(state_dict: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    """Map a diffusers ``UNet2DConditionModel`` state dict to LDM ``openaimodel`` keys (no prefix)."""
    lpb = config["layers_per_block"]
    up_has_attention = ["CrossAttn" in block for block in config["up_block_types"]]
    table: dict[str, str] = dict(_UNET_TOP_LEVEL)
    resnet_prefixes: set[str] = set()
    for i in range(len(config["down_block_types"])):
        for j in range(lpb):
            index = 1 + i * (lpb + 1) + j
            table[f"down_blocks.{i}.resnets.{j}."] = f"input_blocks.{index}.0."
            table[f"down_blocks.{i}.attentions.{j}."] = f"input_blocks.{index}.1."
            resnet_prefixes.add(f"input_blocks.{index}.0.")
        table[f"down_blocks.{i}.downsamplers.0.conv."] = f"input_blocks.{1 + i * (lpb + 1) + lpb}.0.op."
    for i, has_attention in enumerate(up_has_attention):
        for j in range(lpb + 1):
            index = i * (lpb + 1) + j
            table[f"up_blocks.{i}.resnets.{j}."] = f"output_blocks.{index}.0."
            table[f"up_blocks.{i}.attentions.{j}."] = f"output_blocks.{index}.1."
            resnet_prefixes.add(f"output_blocks.{index}.0.")
        # The upsampler follows the resnet (and the attention, when the block has one).
        table[f"up_blocks.{i}.upsamplers.0.conv."] = (
            f"output_blocks.{i * (lpb + 1) + lpb}.{2 if has_attention else 1}.conv."
        )
    table.update(
        {
            "mid_block.resnets.0.": "middle_block.0.",
            "mid_block.attentions.0.": "middle_block.1.",
            "mid_block.resnets.1.": "middle_block.2.",
        }
    )
    resnet_prefixes.update({"middle_block.0.", "middle_block.2."})

    out: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        new = _rename_prefix(key, table)
        if new is None:
            raise KeyError(f"no LDM name for UNet key {key!r}")
        for prefix in resnet_prefixes:
            if new.startswith(prefix):
                new = prefix + (_rename_prefix(new[len(prefix) :], _UNET_RESNET) or new[len(prefix) :])
                break
        out[new] = value
    return out


def vae_to_ldm(state_dict: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    """Map a diffusers ``AutoencoderKL`` state dict to LDM ``first_stage_model`` keys (no prefix)."""
    n_up = len(config["up_block_types"])
    table = {"encoder.conv_norm_out.": "encoder.norm_out.", "decoder.conv_norm_out.": "decoder.norm_out."}
    for i in range(len(config["down_block_types"])):
        table[f"encoder.down_blocks.{i}.resnets."] = f"encoder.down.{i}.block."
        table[f"encoder.down_blocks.{i}.downsamplers.0."] = f"encoder.down.{i}.downsample."
    for i in range(n_up):
        table[f"decoder.up_blocks.{i}.resnets."] = f"decoder.up.{n_up - 1 - i}.block."
        table[f"decoder.up_blocks.{i}.upsamplers.0."] = f"decoder.up.{n_up - 1 - i}.upsample."
    for part in ("encoder", "decoder"):
        table[f"{part}.mid_block.resnets.0."] = f"{part}.mid.block_1."
        table[f"{part}.mid_block.resnets.1."] = f"{part}.mid.block_2."
        table[f"{part}.mid_block.attentions.0."] = f"{part}.mid.attn_1."

    out: dict[str, torch.Tensor] = {}
    for key, value in state_dict.items():
        new = _rename_prefix(key, table) or key  # conv_in, conv_out, quant convs keep their names
        new = new.replace("conv_shortcut.", "nin_shortcut.")
        if ".mid.attn_1." in new:
            head, tail = new.split(".mid.attn_1.")
            new = f"{head}.mid.attn_1.{_rename_prefix(tail, _VAE_ATTENTION) or tail}"
            if value.ndim == 2:  # LDM uses 1x1 convolutions for the attention projections
                value = value[:, :, None, None]
        out[new] = value
    return out


def _with_text_model_prefix(state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """transformers 5 saves ``CLIPTextModel`` without the ``text_model.`` prefix; restore it."""
    return {
        (k if k.startswith(("text_model.", "text_projection")) else f"text_model.{k}"): v for k, v in state_dict.items()
    }


def clip_to_ldm(state_dict: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """HF CLIP text weights under ``prefix`` (which ends in ``text_model.``)."""
    full = _with_text_model_prefix(state_dict)
    return {prefix + k.removeprefix("text_model."): v for k, v in full.items() if k.startswith("text_model.")}


def clip_to_open_clip(state_dict: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """HF ``CLIPTextModelWithProjection`` weights in OpenCLIP layout under ``prefix``."""
    sd = {k.removeprefix("text_model."): v for k, v in _with_text_model_prefix(state_dict).items()}
    out = {
        "token_embedding.weight": sd.pop("embeddings.token_embedding.weight"),
        "positional_embedding": sd.pop("embeddings.position_embedding.weight"),
        "ln_final.weight": sd.pop("final_layer_norm.weight"),
        "ln_final.bias": sd.pop("final_layer_norm.bias"),
        "text_projection": sd.pop("text_projection.weight").T.contiguous(),  # OpenCLIP stores it transposed
    }
    layers = sorted({int(k.split(".")[2]) for k in sd if k.startswith("encoder.layers.")})
    for n in layers:
        src, dst = f"encoder.layers.{n}.", f"transformer.resblocks.{n}."
        for kind in ("weight", "bias"):
            out[f"{dst}attn.in_proj_{kind}"] = torch.cat(
                [sd.pop(f"{src}self_attn.{p}_proj.{kind}") for p in ("q", "k", "v")]
            )
            out[f"{dst}attn.out_proj.{kind}"] = sd.pop(f"{src}self_attn.out_proj.{kind}")
            out[f"{dst}ln_1.{kind}"] = sd.pop(f"{src}layer_norm1.{kind}")
            out[f"{dst}ln_2.{kind}"] = sd.pop(f"{src}layer_norm2.{kind}")
            out[f"{dst}mlp.c_fc.{kind}"] = sd.pop(f"{src}mlp.fc1.{kind}")
            out[f"{dst}mlp.c_proj.{kind}"] = sd.pop(f"{src}mlp.fc2.{kind}")
    leftover = [k for k in sd if not k.endswith("position_ids")]
    if leftover:
        raise KeyError(f"unmapped OpenCLIP keys: {leftover}")
    return {prefix + k: v for k, v in out.items()}


def _unet_and_vae(folder: Path) -> dict[str, torch.Tensor]:
    unet, unet_config = _load_component(folder, "unet")
    vae, vae_config = _load_component(folder, "vae")
    checkpoint = {UNET_PREFIX + k: v for k, v in unet_to_ldm(unet, unet_config).items()}
    checkpoint.update({VAE_PREFIX + k: v for k, v in vae_to_ldm(vae, vae_config).items()})
    return checkpoint


def _save(checkpoint: dict[str, torch.Tensor], out_path: str | Path) -> Path:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in checkpoint.items()}, out_path)
    return out_path


def write_sd15_single_file(folder: str | Path, out_path: str | Path) -> Path:
    """Write an SD 1.x LDM checkpoint (UNet + VAE + CLIP) built from a diffusers SD 1.5 folder."""
    folder = Path(folder)
    checkpoint = _unet_and_vae(folder)
    text_encoder, _ = _load_component(folder, "text_encoder")
    checkpoint.update(clip_to_ldm(text_encoder, SD1_CLIP_PREFIX))
    return _save(checkpoint, out_path)


def write_sdxl_single_file(folder: str | Path, out_path: str | Path) -> Path:
    """Write an SDXL checkpoint (UNet + VAE + CLIP-L + OpenCLIP-G) built from a diffusers SDXL folder."""
    folder = Path(folder)
    checkpoint = _unet_and_vae(folder)
    text_encoder, _ = _load_component(folder, "text_encoder")
    text_encoder_2, _ = _load_component(folder, "text_encoder_2")
    checkpoint.update(clip_to_ldm(text_encoder, SDXL_CLIP_PREFIX))
    checkpoint.update(clip_to_open_clip(text_encoder_2, SDXL_OPEN_CLIP_PREFIX))
    return _save(checkpoint, out_path)
