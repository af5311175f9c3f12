"""HunyuanVideo 1.5 text- and image-to-video: 4k+1 frames at 24 fps, sizes in 16s.

Its text-to-video and image-to-video models are separate checkpoints of one architecture: one type, two
variants, told apart by whether the folder has an image encoder, a single file's name (their tensors are
alike) or a catalogue entry's `extra.variant`. Single files (Tencent's and ComfyUI's) are assembled from
split files (models/split_files.py; the conversions are in models/hunyuanvideo15_original.py). In diffusers
0.42 its pipelines take no step callback and no guidance scale (a `guider` component holds it), and
image-to-video picks its own size: the aspect bucket nearest the image's, of about target_size x
target_size pixels (640 for the 480p models, 960 for 720p).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hollywool.models.families.base import SingleFile, register
from hollywool.models.families.split import SplitFiles, TextEncoderSlot
from hollywool.models.families.video import Decoded, LatentPreview, Rules, Variant, VideoFamily, postprocess
from hollywool.models.hunyuanvideo15_original import hunyuanvideo15_to_diffusers, hunyuanvideo15_vae_to_diffusers
from hollywool.models.precision import Weights
from hollywool.models.text_encoders import register_kind


def _decode(pipe: Any, saved: dict[str, Any], meta: dict[str, Any], low_memory: bool) -> Decoded:
    vae = pipe.vae
    latents = saved["video"].to(vae.device, vae.dtype) / vae.config.scaling_factor
    return Decoded(postprocess(pipe, vae.decode(latents, return_dict=False)[0]))


def _facts(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    vae, transformer = configs.get("vae", {}), configs.get("transformer", {})
    facts: dict[str, Any] = {}
    if vae.get("temporal_compression_ratio"):
        facts["frame_step"] = int(vae["temporal_compression_ratio"])
    if vae.get("spatial_compression_ratio"):
        facts["size_multiple"] = int(vae["spatial_compression_ratio"]) * int(transformer.get("patch_size") or 1)
    if transformer.get("target_size"):
        facts["image_buckets"] = int(transformer["target_size"])
    return facts


def _variant(configs: dict[str, dict[str, Any]]) -> str | None:
    index = configs.get("model_index")
    if not index:
        return None
    encoder = index.get("image_encoder")
    return "i2v" if isinstance(encoder, list) and encoder and encoder[0] else "t2v"


# Tencent's original layout (and ComfyUI's, prefixed): `cond_type_embedding` is HunyuanVideo 1.5's own (HunyuanVideo 1
# and HunyuanImage 2.1 have none).
SINGLE_FILE = SingleFile(markers=("cond_type_embedding.", "model.diffusion_model.cond_type_embedding."))

_CLIP_VISION_LAYER = re.compile(r"(^|\.)encoder\.layers\.0\.self_attn\.q_proj\.weight$")


def _siglip_vision(shapes: Mapping[str, list[int]]) -> int | None:
    """A SigLIP vision tower (ComfyUI's `clip_vision/` files): a patch embedding, no text embedding, and no class
    token, which CLIP's vision towers (clip_vision_h) have."""
    if not any(k.endswith("embeddings.patch_embedding.weight") for k in shapes):
        return None
    if any(k.endswith(("token_embedding.weight", "class_embedding")) for k in shapes):
        return None
    return next((s[1] for k, s in shapes.items() if _CLIP_VISION_LAYER.search(k) and len(s) == 2), None)


register_kind("siglip", _siglip_vision, "SigLIP vision")


def _task(name: str) -> str | None:
    """t2v or i2v from a file's name (ComfyUI's and Tencent's names say it: hunyuanvideo1.5_720p_i2v_fp16)."""
    found = re.search(r"(?<![a-z0-9])([ti])2v(?![a-z0-9])", name.lower().replace("-", "_"))
    return f"{found[1]}2v" if found else None


def _config_by_name(name: str) -> str:
    """The shipped config folder of a diffusion-model file: its resolution (480p or 720p) and task from its name."""
    resolution = "480p" if "480p" in name.lower() else "720p"
    return f"hunyuanvideo15-{resolution}-{_task(name) or 't2v'}"


def _refuse(shapes: Mapping[str, list[int]]) -> str | None:
    """The text- and image-to-video models read noise, the first frame's latents and a mask (2 x out + 1 channels);
    another input width is the 1080p super-resolution model, which upscales another model's video."""
    names = {k.removeprefix("model.diffusion_model."): s for k, s in shapes.items()}
    inputs, outputs = names.get("img_in.proj.weight", [0, 0])[1:2], names.get("final_layer.linear.weight", [0])[:1]
    if inputs and outputs and inputs[0] != 2 * outputs[0] + 1:
        return (
            f"a diffusion model with {inputs[0]} input channels is not a text- or image-to-video model (the 1080p "
            "super-resolution model upscales another model's video, which the studio does not run); use the 480p or "
            "720p t2v / i2v files (hunyuanvideo1.5_720p_t2v_fp16.safetensors ...)"
        )
    return None


# ComfyUI's split files (Comfy-Org/HunyuanVideo_1.5_repackaged) and Tencent's: the diffusion model in Tencent's names
# (hunyuanvideo1.5_{480p,720p}_{t2v,i2v}[_cfg_distilled]_fp16 / _fp8_scaled.safetensors), Qwen2.5-VL-7B in ComfyUI's
# names (qwen_2.5_vl_7b[_fp8_scaled].safetensors: `model.layers.N` + `visual.`, which the text-only model leaves out),
# the ByT5 glyph encoder (byt5_small_glyphxl_fp16.safetensors, transformers' T5 names), the VAE in its original names
# (hunyuanvideo15_vae_fp16.safetensors) and, for image-to-video, the SigLIP image encoder (clip_vision/
# sigclip_vision_patch14_384.safetensors). The t2v and i2v checkpoints have the same tensors: the file name says which
# (and 480p or 720p), picking one of four shipped config folders (hunyuanvideo-community's diffusers configs).
SPLIT = SplitFiles(
    config="hunyuanvideo15-720p-t2v",
    model_class="HunyuanVideo15Transformer3DModel",
    text_encoders=(
        TextEncoderSlot("text_encoder", "llm", "Qwen2_5_VLTextModel", ("qwen_2.5_vl_7b", "qwen_2.5_vl", "qwen2.5_vl")),
        TextEncoderSlot("text_encoder_2", "t5", "T5EncoderModel", ("byt5_small_glyphxl", "byt5")),
        TextEncoderSlot("image_encoder", "siglip", "SiglipVisionModel", ("sigclip_vision_patch14_384", "siglip")),
    ),
    vae_class="AutoencoderKLHunyuanVideo15",
    vae_channels=32,
    vae_names=("hunyuanvideo15_vae", "hunyuan_video_1.5_vae", "hunyuanvideo1.5_vae"),
    convert=hunyuanvideo15_to_diffusers,
    vae_convert=hunyuanvideo15_vae_to_diffusers,
    variant_by_name=_config_by_name,
    refuse=_refuse,
)

# Published sizes (GB, the hub's byte counts) of Comfy-Org/HunyuanVideo_1.5_repackaged's split files: the 8.3B diffusion
# model hunyuanvideo1.5_720p_i2v_fp16 16.65 (every t2v / i2v fp16 file holds the same tensors) and its fp8_scaled
# (cfg-distilled) 8.33; qwen_2.5_vl_7b 16.6 (bf16) and _fp8_scaled 9.38; byt5_small_glyphxl_fp16 0.439;
# hunyuanvideo15_vae_fp16 2.52; the image-to-video models' SigLIP encoder 0.857.
WEIGHTS = {
    "transformer": Weights(bf16=16.65, fp8=8.33),
    "text_encoder": Weights(bf16=16.6, fp8=9.38),
    "text_encoder_2": Weights(bf16=0.439),
    "vae": Weights(bf16=2.52),
}
I2V_WEIGHTS = {**WEIGHTS, "image_encoder": Weights(bf16=0.857)}

FAMILY = register(
    VideoFamily(
        type="hunyuanvideo15",
        weights=WEIGHTS,
        single_file=SINGLE_FILE,
        split_files=SPLIT,
        label="HunyuanVideo 1.5",
        pipeline="HunyuanVideo15Pipeline",
        default_steps=50,  # Tencent's model card: 50 steps, guidance 6 (distilled files: the catalogue's own)
        default_guidance=6.0,
        # No Civitai name: Civitai's base models (civitai/civitai, basemodel.constants.ts) have only "Hunyuan Video",
        # HunyuanVideo 1 (13B), another architecture; its files must not become 1.5 models.
        civitai_base_models=(),
        aliases=("hunyuan-video-1.5", "hunyuanvideo-1.5"),
        rules=Rules(
            frame_step=4,
            max_frames=241,  # 5 to 10 s at 24 fps (Tencent's model card); 121 is the trained default
            default_frames=121,
            size_multiple=16,
            max_width=1280,
            max_height=1280,
            fps=24.0,
            default_size=(1280, 720),
            image_buckets=960,  # the 720p models' target size; a folder's transformer config says its own
        ),
        i2v_pipeline="HunyuanVideo15ImageToVideoPipeline",
        max_references=1,
        references_doc="the first image is the first frame; the video takes the size bucket nearest its aspect",
        decode=_decode,
        facts_from_folder=_facts,
        preview=LatentPreview(),  # 32 latent channels, no fitted projection: the channel-group preview
        step_callback=False,
        guidance_by_guider=True,
        variants={
            "t2v": Variant(family={"i2v_pipeline": None, "max_references": 0, "references_doc": ""}),
            "i2v": Variant(family={"text_to_video": False, "weights": I2V_WEIGHTS}),
        },
        variant_of=_variant,
        variant_of_file_name=_task,
    )
)
