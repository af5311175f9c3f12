"""Single files of families that share FLUX.1's block names are told apart by their own keys: FLUX.2 [dev] and
[klein] by the shared stream modulation (and dev's guidance embedder), Chroma by its guidance network; Qwen-Image
2.1 by its text norm. Before, each passed for FLUX.1 or Qwen-Image 2512 (and became a model of that family)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from hollywool.models.single_file import detect

FLUX1 = [
    "double_blocks.0.img_attn.qkv.weight",
    "single_blocks.0.linear1.weight",
    "img_in.weight",
    "time_in.in_layer.weight",
]
FLUX2 = ["double_blocks.0.img_attn.qkv.weight", "single_blocks.0.linear1.weight", "single_stream_modulation.lin.weight",
         "double_stream_modulation_img.lin.weight", "img_in.weight"]  # fmt: skip


@pytest.mark.parametrize(
    ("keys", "family"),
    [
        (FLUX1 + ["guidance_in.in_layer.weight"], "flux"),
        (FLUX2 + ["guidance_in.in_layer.weight"], "flux2"),
        (FLUX2, "flux2-klein"),
        ([f"model.diffusion_model.{k}" for k in FLUX2], "flux2-klein"),  # ComfyUI's prefix
        (FLUX1 + ["distilled_guidance_layer.in_proj.weight"], "chroma"),
        (
            [
                "model.diffusion_model.distilled_guidance_layer.in_proj.weight",
                "model.diffusion_model.double_blocks.0.x",
            ],
            "chroma",
        ),
        (["transformer_blocks.0.img_mod.1.weight", "img_in.weight"], "qwen-image"),
        (["transformer_blocks.0.img_mod.1.weight", "txt_in.text_norm.weight"], "qwen-image-2.1"),
    ],
)
def test_a_single_file_is_recognised_as_its_own_family(tmp_path, keys, family):
    path = tmp_path / "model.safetensors"
    save_file({k: torch.zeros(2, 2) for k in keys}, str(path))
    assert detect(path)[0].type == family
