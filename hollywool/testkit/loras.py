"""Tiny LoRA files for the tiny SD 1.5 / SDXL pipelines.

A LoRA is made with peft on the UNet's attention projections. peft starts ``lora_B`` at zero (a LoRA that
changes nothing), so both matrices are re-drawn from a seeded normal distribution here. Two file layouts:

* diffusers / peft: ``pytorch_lora_weights.safetensors`` with ``unet.<module>.lora_A.weight`` / ``lora_B``
  keys, written by the pipeline's own ``save_lora_weights``.
* kohya (sd-scripts, Civitai): ``lora_unet_<module_with_underscores>.lora_down.weight``, ``.lora_up.weight``
  and a scalar ``.alpha`` per module; optionally ``lora_te_...`` keys for the text encoder.
"""

from __future__ import annotations

from pathlib import Path

import torch
from safetensors.torch import save_file

ATTENTION_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
TEXT_ENCODER_TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj"]


def _random_lora_layers(model, targets: list[str], rank: int, seed: int, std: float) -> dict[str, tuple]:
    """Return ``{module_name: (down[r, in], up[out, r])}`` for every ``targets`` Linear in ``model``."""
    generator = torch.Generator().manual_seed(seed)
    layers = {}
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear) and any(name.endswith("." + t) for t in targets):
            down = torch.randn(rank, module.in_features, generator=generator) * std
            up = torch.randn(module.out_features, rank, generator=generator) * std
            layers[name] = (down, up)
    return layers


def _load_unet(folder: str | Path):
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel.from_pretrained(folder, subfolder="unet")


def write_diffusers_lora(
    folder: str | Path, out_dir: str | Path, *, rank: int = 4, seed: int = 0, std: float = 0.2
) -> Path:
    """Write a diffusers/peft-format UNet LoRA for the SD 1.5 or SDXL pipeline saved in ``folder``.

    Returns the path of ``out_dir/pytorch_lora_weights.safetensors``; load it with
    ``pipe.load_lora_weights(out_dir)`` or ``pipe.load_lora_weights(path)``.
    """
    import json

    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    unet = _load_unet(folder)
    layers = _random_lora_layers(unet, ATTENTION_TARGETS, rank, seed, std)
    state_dict = {}
    for name, (down, up) in layers.items():
        state_dict[f"{name}.lora_A.weight"] = down
        state_dict[f"{name}.lora_B.weight"] = up
    index = json.loads((Path(folder) / "model_index.json").read_text())
    pipeline_cls = StableDiffusionXLPipeline if "text_encoder_2" in index else StableDiffusionPipeline
    out_dir = Path(out_dir)
    pipeline_cls.save_lora_weights(out_dir, unet_lora_layers=state_dict, safe_serialization=True)
    return out_dir / "pytorch_lora_weights.safetensors"


def write_kohya_lora(
    folder: str | Path,
    out_path: str | Path,
    *,
    rank: int = 4,
    alpha: float = 4.0,
    seed: int = 0,
    std: float = 0.2,
    text_encoder: bool = False,
) -> Path:
    """Write a kohya-format single-file LoRA for the SD 1.5 pipeline saved in ``folder``.

    Module names are the diffusers module paths with dots replaced by underscores, as sd-scripts writes
    them (``lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q``). With
    ``text_encoder=True`` it also adds ``lora_te_text_model_encoder_layers_N_self_attn_*`` modules.
    """
    from transformers import CLIPTextModel

    tensors: dict[str, torch.Tensor] = {}

    def add(prefix: str, layers: dict[str, tuple]) -> None:
        for name, (down, up) in layers.items():
            key = prefix + name.replace(".", "_")
            tensors[f"{key}.lora_down.weight"] = down
            tensors[f"{key}.lora_up.weight"] = up
            tensors[f"{key}.alpha"] = torch.tensor(alpha)

    add("lora_unet_", _random_lora_layers(_load_unet(folder), ATTENTION_TARGETS, rank, seed, std))
    if text_encoder:
        encoder = CLIPTextModel.from_pretrained(folder, subfolder="text_encoder")
        layers = _random_lora_layers(encoder, TEXT_ENCODER_TARGETS, rank, seed + 1, std)
        # kohya names CLIP modules from the transformers 4 layout, which nests them under ``text_model``.
        add(
            "lora_te_",
            {(n if n.startswith("text_model.") else f"text_model.{n}"): v for n, v in layers.items()},
        )
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, out_path, metadata={"ss_network_dim": str(rank)})
    return out_path


# -- the layouts Civitai and ComfyUI LoRAs come in (hollywool/models/lora_formats.py) -----------------------


def _ldm_module(name: str, layers_per_block: int) -> str:
    """A diffusers UNet attention module path in the original (LDM / SGM) block numbering.

    ``down_blocks.1.attentions.0.<rest>`` -> ``input_blocks.4.1.<rest>`` for two layers per block.
    """
    parts = name.split(".")
    if parts[0] == "mid_block":
        return ".".join(["middle_block", "1", *parts[3:]])
    block, layer = int(parts[1]), int(parts[3])
    if parts[0] == "down_blocks":
        return ".".join(["input_blocks", str(1 + block * (layers_per_block + 1) + layer), "1", *parts[4:]])
    return ".".join(["output_blocks", str(block * (layers_per_block + 1) + layer), "1", *parts[4:]])


def _save(tensors: dict[str, torch.Tensor], out_path: str | Path, rank: int) -> Path:
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, out_path, metadata={"ss_network_dim": str(rank)})
    return out_path


def _write(layers: dict[str, tuple], comfyui: bool, prefix: str, alpha: float) -> dict[str, torch.Tensor]:
    """kohya keys (``<prefix><module_underscored>.lora_down``) or ComfyUI keys (``diffusion_model.<module>.lora_A``)."""
    tensors: dict[str, torch.Tensor] = {}
    for name, (down, up) in layers.items():
        if comfyui:
            tensors[f"diffusion_model.{name}.lora_A.weight"] = down
            tensors[f"diffusion_model.{name}.lora_B.weight"] = up
            tensors[f"diffusion_model.{name}.alpha"] = torch.tensor(alpha)
        else:
            key = prefix + name.replace(".", "_")
            tensors[f"{key}.lora_down.weight"] = down
            tensors[f"{key}.lora_up.weight"] = up
            tensors[f"{key}.alpha"] = torch.tensor(alpha)
    return tensors


def write_unet_lora(
    folder: str | Path,
    out_path: str | Path,
    *,
    layout: str = "comfyui",
    rank: int = 4,
    alpha: float = 4.0,
    seed: int = 0,
    std: float = 0.2,
) -> Path:
    """An SD 1.5 / SDXL UNet LoRA named in the original model's block numbering (``input_blocks.4.1``), as
    ComfyUI (``layout="comfyui"``: ``diffusion_model.`` + ``lora_A``/``lora_B``) or kohya's SDXL scripts
    (``layout="kohya"``: ``lora_unet_input_blocks_4_1_...`` + ``lora_down``/``lora_up``) write them."""
    unet = _load_unet(folder)
    per_block = int(unet.config["layers_per_block"])
    layers = {
        _ldm_module(n, per_block): v for n, v in _random_lora_layers(unet, ATTENTION_TARGETS, rank, seed, std).items()
    }
    return _save(_write(layers, layout == "comfyui", "lora_unet_", alpha), out_path, rank)


def write_flux_lora(
    folder: str | Path,
    out_path: str | Path,
    *,
    layout: str = "comfyui",
    rank: int = 4,
    alpha: float = 4.0,
    seed: int = 0,
    std: float = 0.2,
) -> Path:
    """A FLUX.1 LoRA in Black Forest Labs' module names (``double_blocks.0.img_attn.qkv``), shaped from the
    tiny transformer's config, as ComfyUI / ai-toolkit or kohya (sd-scripts) write them.

    The single blocks' ``linear1`` is left out: diffusers' kohya FLUX converter splits it at the real model's
    widths (3072), which a tiny model does not have.
    """
    import json

    config = json.loads((Path(folder) / "transformer" / "config.json").read_text())
    width = int(config["num_attention_heads"]) * int(config["attention_head_dim"])
    mlp = width * 4
    shapes: dict[str, tuple[int, int]] = {}  # module -> (in, out)
    for i in range(int(config["num_layers"])):
        for stream in ("img", "txt"):
            shapes[f"double_blocks.{i}.{stream}_attn.qkv"] = (width, 3 * width)
            shapes[f"double_blocks.{i}.{stream}_attn.proj"] = (width, width)
            shapes[f"double_blocks.{i}.{stream}_mlp.0"] = (width, mlp)
            shapes[f"double_blocks.{i}.{stream}_mlp.2"] = (mlp, width)
    for i in range(int(config["num_single_layers"])):
        shapes[f"single_blocks.{i}.linear2"] = (width + mlp, width)
    generator = torch.Generator().manual_seed(seed)
    layers = {
        name: (
            torch.randn(rank, fan_in, generator=generator) * std,
            torch.randn(fan_out, rank, generator=generator) * std,
        )
        for name, (fan_in, fan_out) in shapes.items()
    }
    return _save(_write(layers, layout == "comfyui", "lora_unet_", alpha), out_path, rank)


_WAN_NAMES = {"attn1": "self_attn", "attn2": "cross_attn", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "o"}


def write_wan_lora(
    folder: str | Path, out_path: str | Path, *, rank: int = 4, alpha: float = 4.0, seed: int = 0, std: float = 0.2
) -> Path:
    """A Wan LoRA in ComfyUI's layout (``diffusion_model.blocks.0.self_attn.q.lora_A.weight``), shaped from the
    tiny Wan pipeline's transformer in ``folder``; diffusers' Wan loader converts it."""
    from diffusers import WanTransformer3DModel

    transformer = WanTransformer3DModel.from_pretrained(folder, subfolder="transformer")
    layers = {}
    for name, pair in _random_lora_layers(transformer, ATTENTION_TARGETS, rank, seed, std).items():
        block, attn, proj = name.split(".", 2)[1], name.split(".")[2], name.split(".", 3)[3]
        if attn in ("attn1", "attn2") and proj in _WAN_NAMES:
            layers[f"blocks.{block}.{_WAN_NAMES[attn]}.{_WAN_NAMES[proj]}"] = pair
    return _save(_write(layers, True, "", alpha), out_path, rank)
