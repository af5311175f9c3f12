"""Qwen-Image (2512) and Qwen-Image-Edit (2509, 2511): a 20B MMDiT prompted through Qwen2.5-VL.

The studio's guidance is the pipelines' `true_cfg_scale`; they run the negative branch only when it is
above 1 and a negative prompt is given, so a job without one gets " " (the model card's negative prompt).
Latents are 2x2-packed tokens of the Qwen-Image VAE, a Wan 2.1-style video VAE with a frame axis: the
preview unpacks them and drops the single frame. The latent space is Wan 2.1's (ComfyUI's Qwen-Image model
uses the Wan21 latent format), so Wan's fitted preview factors apply.

Qwen-Image-Edit (the Edit-Plus pipeline) takes one to three reference images, whose encoding depends on the
images, so its prompts are not cached.

Qwen-Image 2.1 is a new model behind one pipeline (`QwenImage21Pipeline`): a single-stream transformer that reads
its VAE's 64-channel latents unpatched, and a Qwen3-VL encoder that reads the prompt together with any reference
images, which the same call takes as `image=[...]`. Its prompts are not cached either (the encoding depends on the
references). Its latent space has no fitted preview projection yet, so previews show three channel groups.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from hollywool.models.comfy_layouts import qwen_image_to_diffusers
from hollywool.models.families.base import LoraPreset, PresetLora, SingleFile, lora_architecture, register
from hollywool.models.families.image import ImageFamily, call_default
from hollywool.models.families.split import SplitFiles, TextEncoderSlot
from hollywool.models.families.wan import PREVIEW as WAN_PREVIEW
from hollywool.models.qwen_edit_references import VAE_AREA, area_size, inpaint_with_references
from hollywool.models.wan_vae_original import wan21_vae_to_diffusers

# Blocks with separate image and text streams: transformer_blocks.N.img_mlp / txt_mlp / img_mod / txt_mod.
_LORA_KEY = re.compile(r"transformer_blocks[._]\d+[._](img|txt)_(mlp|mod)[._]")
# An attention-only LoRA: Qwen-Image's 3072-wide attention in more blocks than FLUX's 19 double blocks.
_ATTENTION_DOWN = re.compile(r"transformer_blocks[._](\d+)[._]attn[._](to_q|add_q_proj)[._]lora(_A|_down|\.down)")


# Qwen-Image 2.1's gated MLP: transformer_blocks.N.img_mlp.proj / gate_layer / out (2512 has img_mlp.net.N).
_LORA_KEY_21 = re.compile(r"transformer_blocks[._]\d+[._]img_mlp[._](proj|gate_layer|out)[._]")


def _lora_base(shapes: dict[str, list[int]], metadata: dict[str, str]) -> str | None:
    meta = lora_architecture(metadata)
    if any(m in meta for m in ("qwen-image-2.1", "qwen_image_21", "qwen-image-21")) or any(
        _LORA_KEY_21.search(k) for k in shapes
    ):
        return "qwen-image-2.1"
    if "qwen" in meta or any(_LORA_KEY.search(k) for k in shapes):
        return "qwen-image"
    blocks = [int(m.group(1)) for k, s in shapes.items() if (m := _ATTENTION_DOWN.search(k)) and s[-1:] == [3072]]
    if blocks and max(blocks) >= 19 and not any("single" in k for k in shapes):
        return "qwen-image"
    return None


def _unpack(pipe: Any, latents: Any, height: int, width: int) -> Any:
    """[batch, tokens, 64] -> [batch, 16, h, w] (the VAE's frame axis of one dropped)."""
    return pipe._unpack_latents(latents, height, width, pipe.vae_scale_factor)[:, :, 0]


def _unpack_edit(pipe: Any, latents: Any, height: int, width: int) -> Any:
    """As `_unpack`; the edit inpaint pipeline renders at about 1024x1024 at the image's aspect whatever size it
    is asked (diffusers' QwenImageEditInpaintPipeline), so its latents are unpacked at that size."""
    if type(pipe).__name__ == "QwenImageEditInpaintPipeline":
        step = pipe.vae_scale_factor * 2
        width, height = (side // step * step for side in area_size(VAE_AREA, width / height))
    return _unpack(pipe, latents, height, width)


def _unpack_21(pipe: Any, latents: Any, height: int, width: int) -> Any:
    """[batch, tokens, 64] -> [batch, 64, h, w]: one token per latent pixel (the VAE's frame axis dropped)."""
    return pipe._unpack_latents(latents, height, width, pipe.vae_scale_factor)[:, :, 0]


def _encode(
    pipe: Any, prompt: str, negative: str | None, cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    length = options.get("max_sequence_length") or call_default(pipe, "max_sequence_length")

    def encode(text: str) -> tuple[Any, Any]:
        embeds, mask = pipe.encode_prompt(text, device=device, max_sequence_length=length)
        # The pipeline drops an all-ones mask (and warns when embeddings come without one): give it back.
        return embeds, mask if mask is not None else embeds.new_ones(embeds.shape[:2], dtype=embeds.dtype).long()

    embeds, mask = encode(prompt)
    found = {"prompt_embeds": embeds, "prompt_embeds_mask": mask}
    if cfg and negative is not None:  # the pipeline runs the negative branch only with a negative prompt
        found["negative_prompt_embeds"], found["negative_prompt_embeds_mask"] = encode(negative)
    return found


# Civitai's `baseModel` names (civitai/civitai, src/shared/constants/basemodel.constants.ts): Qwen-Image and its
# edit models' checkpoints and LoRAs are all filed under "Qwen". "Qwen 2" ("next-generation Qwen image generation
# model") is a separate ecosystem, whose generator sizes in multiples of 32 (qwen21.constants.ts): Qwen-Image 2.1.
CIVITAI = ("Qwen",)
CIVITAI_21 = ("Qwen 2",)
# ComfyUI's marker of Qwen-Image-Edit 2511 (an empty tensor in Comfy-Org's qwen_image_edit_2511_*.safetensors): the
# model modulates the reference images' tokens with timestep zero (diffusers' `zero_cond_t`), which no weight shows.
ZERO_COND_MARKER = "__index_timestep_zero__"


def _family_of(shapes: dict[str, list[int]]) -> str | None:
    keys = [k.removeprefix("model.diffusion_model.") for k in shapes]
    # Qwen-Image 2.1 files carry a text norm on their input projection (diffusers' single_file_utils tells 2.1
    # by `txt_in.text_norm.weight`): never take one for a 2512 model.
    if any(k.startswith("txt_in.text_norm.") for k in keys):
        return "qwen-image-2.1"
    return "qwen-image-edit" if ZERO_COND_MARKER in keys else None


# ComfyUI's Qwen-Image files keep diffusers' names (with or without `model.diffusion_model.`); the first block's
# image-modulation layer is in every Qwen-Image and Qwen-Image-Edit transformer.
SINGLE_FILE = SingleFile(
    markers=("transformer_blocks.0.img_mod.", "model.diffusion_model.transformer_blocks.0.img_mod."),
    family_of=_family_of,
    # Qwen-Image-Edit (the first, 2509) has Qwen-Image's keys and shapes exactly, and no marker: only its name
    # (qwen_image_edit_2509_fp8_e4m3fn.safetensors, Qwen-Image-Edit-2509-Q4_K_M.gguf) says it is the edit model.
    family_by_name=(("edit", "qwen-image-edit"),),
)

# Comfy-Org/Qwen-Image_ComfyUI's split files: qwen_image_fp8_e4m3fn.safetensors (diffusers' names, prefixed),
# qwen_2.5_vl_7b(_fp8_scaled).safetensors (ComfyUI's Qwen2.5-VL names: `model.layers.N`, `visual.`) and
# qwen_image_vae.safetensors (Wan 2.1's original VAE names). Shipped config: Qwen/Qwen-Image's.
SPLIT = SplitFiles(
    config="qwen-image",
    model_class="QwenImageTransformer2DModel",
    text_encoders=(
        TextEncoderSlot(
            "text_encoder",
            "llm",
            "Qwen2_5_VLForConditionalGeneration",
            ("qwen_2.5_vl", "qwen2.5_vl", "qwen_2_5_vl"),
            renames=(
                (r"^model\.(?!language_model\.|visual\.)", "model.language_model."),
                (r"^visual\.", "model.visual."),
            ),
            optional=("model.visual.",),  # text-to-image prompts with text only; a GGUF file has no vision tower
        ),
    ),
    vae_class="AutoencoderKLQwenImage",
    vae_channels=16,
    vae_names=("qwen_image_vae", "qwen_image"),
    convert=qwen_image_to_diffusers,
    vae_convert=wan21_vae_to_diffusers,
)


def _edit_version(shapes: Mapping[str, list[int]]) -> str | None:
    return "qwen-image-edit-2511" if any(k.endswith(ZERO_COND_MARKER) for k in shapes) else None


def _edit_named(name: str, config: str) -> str:
    return "qwen-image-edit-2511" if "2511" in name else config


# Comfy-Org/Qwen-Image-Edit_ComfyUI's qwen_image_edit_2509 / 2511 files (Qwen-Image's layout; 2511 with the marker)
# with Qwen-Image's text encoder and VAE files. The edit pipeline shows the reference images to Qwen2.5-VL's vision
# tower, which ComfyUI's qwen_2.5_vl_7b files carry (`visual.`). Shipped configs: Qwen/Qwen-Image-Edit-2509's and
# -2511's (the same but `zero_cond_t`); a 2511 file without the marker (a GGUF) is told by its name.
EDIT_SPLIT = replace(
    SPLIT,
    config="qwen-image-edit-2509",
    text_encoders=(replace(SPLIT.text_encoders[0], optional=()),),  # the edit shows the references to the vision tower
    vae_names=(),
    vae_family="qwen-image",  # Qwen-Image's qwen_image_vae.safetensors
    variant=_edit_version,
    named_config=_edit_named,
)

_LIGHTNING_REPO = "lightx2v/Qwen-Image-Lightning"
_LIGHTNING_SOURCE = (
    "lightx2v/Qwen-Image-Lightning's model card (ModelTC/Qwen-Image-Lightning): the LoRA's own step count, "
    "true_cfg_scale 1.0 (CFG distilled away)"
)


def _lightning(steps: int, file: str) -> LoraPreset:
    """lightx2v's step-distillation LoRA for Qwen-Image: its step count, no CFG."""
    return LoraPreset(
        id=f"lightning-{steps}step",
        label=f"Lightning {steps}-step",
        loras=(PresetLora(lora_id=file.removesuffix(".safetensors"), hub_repo=_LIGHTNING_REPO, hub_file=file),),
        steps=steps,
        guidance=1.0,
        source=_LIGHTNING_SOURCE,
    )


# The files lightx2v/Qwen-Image-Lightning publishes for Qwen-Image (the newest version of each step count).
LIGHTNING = (
    _lightning(8, "Qwen-Image-Lightning-8steps-V1.1.safetensors"),
    _lightning(4, "Qwen-Image-Lightning-4steps-V1.0.safetensors"),
)

FAMILY = register(
    ImageFamily(
        type="qwen-image",
        label="Qwen-Image",
        pipeline="QwenImagePipeline",
        inpaint_pipeline="QwenImageInpaintPipeline",
        control_pipelines={"QwenImageControlNetModel": "QwenImageControlNetPipeline"},
        aliases=("qwen", "qwenimage"),
        size_multiple=16,  # 8x VAE, 2x2 patches
        default_size=1328,  # the model card's 1:1 size
        default_steps=50,
        default_guidance=4.0,
        guidance_param="true_cfg_scale",
        default_negative=" ",
        img2img_pipeline="QwenImageImg2ImgPipeline",
        latent_rgb=WAN_PREVIEW.rgb,
        unpack_latents=_unpack,
        encode_prompt=_encode,
        lora_bases={"qwen-image": "Qwen-Image"},
        detect_lora=_lora_base,
        single_file=SINGLE_FILE,
        split_files=SPLIT,
        civitai_base_models=CIVITAI,
        lora_presets=LIGHTNING,
    )
)

# The edit models share Qwen-Image's transformer layout: their LoRAs look the same (Qwen-Image LoRAs load on them),
# and so do their single files, told apart by 2511's marker or the file's name (SINGLE_FILE above).
EDIT = register(
    ImageFamily(
        type="qwen-image-edit",
        label="Qwen-Image-Edit",
        pipeline="QwenImageEditPlusPipeline",
        aliases=("qwen-edit", "qwen-image-edit-plus"),
        size_multiple=16,
        default_size=1024,  # the pipeline renders about 1024x1024 by default
        default_steps=40,
        default_guidance=4.0,
        guidance_param="true_cfg_scale",
        default_negative=" ",
        text_to_image=False,
        image_to_image=False,
        edit_pipeline="QwenImageEditPlusPipeline",
        max_references=3,  # the model card: one to three input images work best
        # Inpaint and outpaint: the source is "Picture 1", other references follow (qwen_edit_references.py).
        inpaint_pipeline="QwenImageEditInpaintPipeline",
        inpaint_references=inpaint_with_references,
        inpaint_area=VAE_AREA,
        latent_rgb=WAN_PREVIEW.rgb,
        unpack_latents=_unpack_edit,
        lora_bases={"qwen-image": "Qwen-Image"},
        split_files=EDIT_SPLIT,
    )
)

QWEN_IMAGE_21 = register(
    ImageFamily(
        type="qwen-image-2.1",
        label="Qwen-Image 2.1",
        pipeline="QwenImage21Pipeline",
        aliases=("qwen-image-21", "qwenimage21"),
        size_multiple=32,  # 16x VAE, and the pipeline rounds sizes down to multiples of 32
        default_size=1024,  # the pipeline's `output_resolution`
        default_steps=40,  # diffusers' Qwen-Image 2.1 docs: Qwen recommends 40 steps and no guidance
        default_guidance=1.0,  # true_cfg_scale <= 1: no CFG (above 1 it runs, with " " unless a negative is given)
        guidance_param="true_cfg_scale",
        default_negative=" ",
        image_to_image=False,
        edit_pipeline="QwenImage21Pipeline",  # reference images go to the same pipeline as `image=[...]`
        unpack_latents=_unpack_21,
        lora_bases={"qwen-image-2.1": "Qwen-Image 2.1"},
        civitai_base_models=CIVITAI_21,
    )
)
