"""Tiny LoRA files for the tiny transformer pipelines (Z-Image, Qwen-Image, Krea 2 ...), in diffusers' layout.

Like loras.py for UNets: both LoRA matrices are drawn from a seeded normal distribution (peft would start
``lora_B`` at zero, a LoRA that changes nothing) for every Linear of the pipeline's ``transformer`` whose name
ends with one of ``targets``, and written by the pipeline class's own ``save_lora_weights``, so the file has
the ``transformer.<module>.lora_A.weight`` keys a trainer's diffusers export has.
"""

from __future__ import annotations

import json
from pathlib import Path

from hollywool.testkit.loras import _random_lora_layers


def write_transformer_lora(
    folder: str | Path, out_dir: str | Path, targets: list[str], *, rank: int = 4, seed: int = 0, std: float = 0.2
) -> Path:
    """Write a LoRA for the ``transformer`` of the pipeline saved in ``folder``; returns the weights file."""
    import diffusers

    index = json.loads((Path(folder) / "model_index.json").read_text())
    transformer_cls = getattr(diffusers, index["transformer"][1])
    transformer = transformer_cls.from_pretrained(folder, subfolder="transformer")
    layers = _random_lora_layers(transformer, targets, rank, seed, std)
    if not layers:
        raise ValueError(f"no Linear layer of {transformer_cls.__name__} ends with any of {targets}")
    state_dict = {}
    for name, (down, up) in layers.items():
        state_dict[f"{name}.lora_A.weight"] = down
        state_dict[f"{name}.lora_B.weight"] = up
    pipeline_cls = getattr(diffusers, index["_class_name"])
    out_dir = Path(out_dir)
    pipeline_cls.save_lora_weights(out_dir, transformer_lora_layers=state_dict, safe_serialization=True)
    return out_dir / "pytorch_lora_weights.safetensors"
