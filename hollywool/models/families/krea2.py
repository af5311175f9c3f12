"""Krea 2 (Turbo, Raw): a single-stream MMDiT fed a stack of Qwen3-VL hidden states; text-to-image only.

Guidance runs a negative branch whenever it is above 0 (Turbo is distilled for 0, Raw uses about 4.5).
Latents are 2x2-packed tokens of the Qwen-Image VAE (Wan 2.1's latent space, as for Qwen-Image), unpacked
for previews with the single frame dropped.
"""

from __future__ import annotations

import re
from typing import Any

from hollywool.models.families.base import SingleFile, lora_architecture, register
from hollywool.models.families.image import ImageFamily, call_default
from hollywool.models.families.wan import PREVIEW as WAN_PREVIEW

# Krea 2's gated attention and SwiGLU (diffusers: attn.to_gate, ff.gate/up/down), its text-fusion blocks, and
# the original checkpoints' names (blocks.N.attn.wq ..., txtfusion).
_LORA_KEY = re.compile(
    r"transformer_blocks[._]\d+[._](attn[._]to_gate|ff[._](gate|up|down))[._]"
    r"|(^|[._])blocks[._]\d+[._]attn[._](wq|wk|wv|wo|gate)[._]|text_fusion[._]|txtfusion[._]"
)


def _lora_base(shapes: dict[str, list[int]], metadata: dict[str, str]) -> str | None:
    meta = lora_architecture(metadata)
    if ("krea" in meta and "flux" not in meta) or any(_LORA_KEY.search(k) for k in shapes):
        return "krea2"
    return None


def _unpack(pipe: Any, latents: Any, height: int, width: int) -> Any:
    """[batch, tokens, 64] -> [batch, 16, h, w] (the VAE's frame axis of one dropped)."""
    return pipe._unpack_latents(latents, height, width)[:, :, 0]


def _encode(
    pipe: Any, prompt: str, negative: str | None, cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    length = options.get("max_sequence_length") or call_default(pipe, "max_sequence_length")
    embeds, mask = pipe.encode_prompt(prompt=prompt, device=device, max_sequence_length=length)
    found = {"prompt_embeds": embeds, "prompt_embeds_mask": mask}
    if cfg:  # as the pipeline does: an empty negative prompt when none is given
        negative_embeds, negative_mask = pipe.encode_prompt(
            prompt=negative or "", device=device, max_sequence_length=length
        )
        found.update(negative_prompt_embeds=negative_embeds, negative_prompt_embeds_mask=negative_mask)
    return found


FAMILY = register(
    ImageFamily(
        type="krea2",
        label="Krea 2",
        pipeline="Krea2Pipeline",
        aliases=("krea-2", "krea2-turbo", "krea2-raw"),
        size_multiple=16,  # 8x VAE, 2x2 patches
        default_size=1024,
        default_steps=8,  # Turbo; Raw entries set their own (see models.yaml)
        default_guidance=0.0,
        cfg_above=0.0,
        image_to_image=False,
        latent_rgb=WAN_PREVIEW.rgb,
        unpack_latents=_unpack,
        encode_prompt=_encode,
        lora_bases={"krea2": "Krea 2"},
        detect_lora=_lora_base,
        # diffusers' single_file_utils tells Krea 2 by `txtfusion.projector.weight` (the original layout).
        single_file=SingleFile(markers=("txtfusion.", "model.diffusion_model.txtfusion.")),
        civitai_base_models=("Krea 2",),  # Civitai's name (civitai/civitai, basemodel.constants.ts)
    )
)
