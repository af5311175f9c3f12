"""Z-Image (Turbo, Base): a single-stream DiT on FLUX.1's 16-channel VAE, prompted through Qwen3.

Guidance runs a negative branch whenever it is above 0 (Turbo is distilled for 0, Base uses about 4).
Latents are not packed: the callback hands [batch, 16, h, w] in FLUX's latent space, so FLUX's preview
factors apply (ComfyUI's Z-Image model uses the Flux latent format).
"""

from __future__ import annotations

import re
from typing import Any

from hollywool.models.families.base import SingleFile, lora_architecture, register
from hollywool.models.families.flux import FAMILY as FLUX
from hollywool.models.families.image import ImageFamily, call_default
from hollywool.models.families.split import SplitFiles, TextEncoderSlot

# Z-Image's blocks: layers.N / noise_refiner.N / context_refiner.N with `attention` and `feed_forward`
# (diffusers names; the original checkpoints fuse attention into `attention.qkv`).
_LORA_KEY = re.compile(r"(^|[._])(layers|noise_refiner|context_refiner)[._]\d+[._](attention|feed_forward)[._]")


def _lora_base(shapes: dict[str, list[int]], metadata: dict[str, str]) -> str | None:
    meta = lora_architecture(metadata)
    if any(m in meta for m in ("z_image", "zimage", "z-image")) or any(_LORA_KEY.search(k) for k in shapes):
        return "zimage"
    return None


def _encode(
    pipe: Any, prompt: str, negative: str | None, cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    embeds, negative_embeds = pipe.encode_prompt(
        prompt=prompt,
        device=device,
        do_classifier_free_guidance=cfg,
        negative_prompt=negative,
        max_sequence_length=options.get("max_sequence_length") or call_default(pipe, "max_sequence_length"),
    )
    return {"prompt_embeds": embeds, "negative_prompt_embeds": negative_embeds if cfg else None}


FAMILY = register(
    ImageFamily(
        type="zimage",
        label="Z-Image",
        pipeline="ZImagePipeline",
        inpaint_pipeline="ZImageInpaintPipeline",
        control_pipelines={"ZImageControlNetModel": "ZImageControlNetPipeline"},
        aliases=("z-image", "z-image-turbo", "zimage-turbo"),
        size_multiple=16,  # 8x VAE, 2x2 patches
        default_size=1024,
        default_steps=8,  # Turbo; Base entries set their own (see models.yaml)
        default_guidance=0.0,
        cfg_above=0.0,
        latent_rgb=FLUX.latent_rgb,
        img2img_pipeline="ZImageImg2ImgPipeline",
        lora_bases={"zimage": "Z-Image"},
        detect_lora=_lora_base,
        # diffusers' single_file_utils tells Z-Image by `layers.0.adaLN_modulation.0.weight` (Lumina 2, its
        # ancestor, has `.1.`); ComfyUI's files carry the `model.diffusion_model.` prefix.
        single_file=SingleFile(
            markers=("layers.0.adaLN_modulation.0.", "model.diffusion_model.layers.0.adaLN_modulation.0.")
        ),
        # ComfyUI's split files (Comfy-Org/z_image_turbo, split_files/): z_image_turbo_bf16.safetensors (original
        # layout, converted by diffusers), qwen_3_4b.safetensors (Qwen3-4B in transformers' names) and FLUX.1's
        # ae.safetensors; the shipped `zimage` config is Tongyi-MAI/Z-Image-Turbo's (the Qwen tokenizer is not shipped).
        split_files=SplitFiles(
            config="zimage",
            model_class="ZImageTransformer2DModel",
            text_encoders=(TextEncoderSlot("text_encoder", "llm", "Qwen3Model", ("qwen_3_4b", "qwen3")),),
            vae_channels=16,
            vae_names=("z_image", "zimage"),
            vae_family="flux",
        ),
        civitai_base_models=("ZImageTurbo", "ZImageBase"),  # Civitai's names (civitai/civitai, basemodel.constants.ts)
        encode_prompt=_encode,
    )
)
