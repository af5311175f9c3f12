"""Wan 2.1/2.2 text- and image-to-video: 4k+1 frames.

The `wan` type covers Wan 2.2 A14B (two experts, text-to-video only; its image-to-video model is `wan-i2v`)
and Wan 2.2 TI2V-5B, told apart by its configs: a 48-channel VAE that patches 2x2 pixels (16x spatial),
one transformer, `expand_timesteps`. The 5B starts from an image with the same weights: diffusers runs it
as `WanImageToVideoPipeline` (the image becomes the first latent frame, which is kept out of the noise).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hollywool.models.families.base import LatentRGB, LoraPreset, PresetLora, SingleFile, register
from hollywool.models.families.split import SplitFiles, TextEncoderSlot
from hollywool.models.families.video import Decoded, LatentPreview, Rules, Variant, VideoFamily, postprocess
from hollywool.models.precision import Weights
from hollywool.models.wan_vae_original import wan_vae_to_diffusers


def _decode(pipe: Any, saved: dict[str, Any], meta: dict[str, Any], low_memory: bool) -> Decoded:
    import torch

    vae = pipe.vae
    latents = saved["video"].to(vae.device, vae.dtype)
    shape = (1, vae.config.z_dim, 1, 1, 1)
    mean = torch.tensor(vae.config.latents_mean).view(shape).to(latents.device, latents.dtype)
    std = torch.tensor(vae.config.latents_std).view(shape).to(latents.device, latents.dtype)
    return Decoded(postprocess(pipe, vae.decode(latents * std + mean, return_dict=False)[0]))


def _i2v_args(_params: Any, _rules: Rules, images: list[Any]) -> dict[str, Any]:
    return {"last_image": images[1]} if len(images) > 1 else {}


def _facts(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    vae, transformer = configs.get("vae", {}), configs.get("transformer", {})
    facts: dict[str, Any] = {}
    if vae.get("scale_factor_temporal"):
        facts["frame_step"] = int(vae["scale_factor_temporal"])
    patch = transformer.get("patch_size") or [1, 2, 2]
    facts["size_multiple"] = int(vae.get("scale_factor_spatial", 8)) * int(patch[-1])
    return facts


def _variant(configs: dict[str, dict[str, Any]]) -> str | None:
    if configs.get("vae", {}).get("z_dim") == 48 or configs.get("model_index", {}).get("expand_timesteps"):
        return "ti2v-5b"
    return None


def _in_channels(shapes: Mapping[str, list[int]]) -> int | None:
    """The diffusion model's latent input channels: its patch embedding's (Wan's original names)."""
    shape = next((s for k, s in shapes.items() if k.endswith("patch_embedding.weight")), None)
    return shape[1] if shape and len(shape) == 5 else None


def _file_variant(shapes: dict[str, list[int]]) -> str | None:
    return "ti2v-5b" if _in_channels(shapes) == 48 else None  # the 5B's 48-channel latents (A14B: 16, its i2v: 36)


def _refuse(shapes: Mapping[str, list[int]]) -> str | None:
    if _in_channels(shapes) == 48:
        return None
    return (
        "Wan 2.2 A14B comes as two diffusion models (high noise and low noise), which the studio does not assemble "
        "from single files yet; use a diffusers folder of it (Wan-AI/Wan2.2-T2V-A14B-Diffusers or "
        "Wan-AI/Wan2.2-I2V-A14B-Diffusers), or the TI2V-5B file (wan2.2_ti2v_5B_fp16.safetensors)"
    )


# Wan's original names (Wan-AI's checkpoints; ComfyUI's, under `model.diffusion_model.`): `patch_embedding` is Wan's
# alone; its input channels tell the image-to-video A14B (36: noise, mask and the image's latents) from the rest.
SINGLE_FILE = SingleFile(
    markers=("patch_embedding.", "model.diffusion_model.patch_embedding."),
    family_of=lambda shapes: "wan-i2v" if _in_channels(shapes) == 36 else None,
)
# Comfy-Org/Wan_2.2_ComfyUI_Repackaged's split files: wan2.2_ti2v_5B_fp16.safetensors (converted by diffusers'
# Wan conversion), umt5_xxl_fp16 / fp8_e4m3fn_scaled.safetensors and wan2.2_vae.safetensors (Wan 2.2's original
# VAE names). Shipped config: Wan-AI/Wan2.2-TI2V-5B-Diffusers'.
SPLIT = SplitFiles(
    config="wan2.2-ti2v-5b",
    model_class="WanTransformer3DModel",
    text_encoders=(TextEncoderSlot("text_encoder", "umt5", "UMT5EncoderModel", ("umt5_xxl", "umt5")),),
    vae_class="AutoencoderKLWan",
    vae_channels=48,
    vae_names=("wan2.2_vae", "wan2_2_vae"),
    vae_convert=wan_vae_to_diffusers,
    refuse=_refuse,
)

# Wan 2.2 TI2V-5B: 720p is 1280x704 (sizes in 32s), 121 frames at 24 fps (the model card's settings).
TI2V_5B = Variant(
    rules={
        "fps": 24.0,
        "max_frames": 121,
        "default_frames": 121,
        "size_multiple": 32,
        "default_size": (1280, 704),
    },
    family={
        "label": "Wan 2.2 TI2V-5B",
        "default_steps": 50,  # the model card's example (and the catalogue's wan22-ti2v-5b)
        "default_guidance": 5.0,
        "i2v_pipeline": "WanImageToVideoPipeline",
        "max_references": 1,
        "references_doc": "the first image is the first frame",
    },
)

# The Wan 2.1 VAE's 16 normalised channels (also Wan 2.2 A14B's), as fitted in ComfyUI's latent formats.
# Wan 2.2 5B's 48-channel VAE has no table here and falls back to the channel-group preview.
PREVIEW = LatentPreview(
    rgb=LatentRGB(
        (
            (-0.1299, -0.1692, 0.2932),
            (0.0671, 0.0406, 0.0442),
            (0.3568, 0.2548, 0.1747),
            (0.0372, 0.2344, 0.1420),
            (0.0313, 0.0189, -0.0328),
            (0.0296, -0.0956, -0.0665),
            (-0.3477, -0.4059, -0.2925),
            (0.0166, 0.1902, 0.1975),
            (-0.0412, 0.0267, -0.1364),
            (-0.1293, 0.0740, 0.1636),
            (0.0680, 0.3019, 0.1128),
            (0.0032, 0.0581, 0.0639),
            (-0.1251, 0.0927, 0.1699),
            (0.0060, -0.0633, 0.0005),
            (0.3477, 0.2275, 0.2950),
            (0.1984, 0.0913, 0.1861),
        ),
        (-0.1835, -0.0868, -0.3360),
    )
)

RULES = Rules(
    frame_step=4,
    max_frames=121,
    default_frames=81,
    size_multiple=16,
    max_width=1280,
    max_height=1280,
    fps=16.0,
    default_size=(832, 480),
)

# Published sizes (GB) per 14B expert: Comfy-Org/Wan_2.2_ComfyUI_Repackaged (wan2.2_t2v_high_noise_14B_fp16
# 28.6, _fp8_scaled 14.3; umt5_xxl_fp16 11.4, umt5_xxl_fp8_e4m3fn_scaled 6.74; wan_2.1_vae 0.254) and
# QuantStack/Wan2.2-T2V-A14B-GGUF (Q8_0 15.4, Q4_K_M 9.65). The 5B form is smaller; its folder is measured.
WEIGHTS = {
    "transformer": Weights(bf16=28.6, fp8=14.3, q8_0=15.4, q4_k=9.65),
    "transformer_2": Weights(bf16=28.6, fp8=14.3, q8_0=15.4, q4_k=9.65),
    "text_encoder": Weights(bf16=11.4, fp8=6.74),
    "vae": Weights(bf16=0.254),
}

# Wan LoRAs in any layout diffusers reads: diffusers (`transformer.blocks.N.attn1`), ComfyUI
# (`diffusion_model.blocks.N.self_attn`), musubi-tuner (`lora_unet_blocks_N_self_attn`).
LORA_BASES = {"wan": "Wan"}
LORA_MARKERS = {
    "wan": r"^(diffusion_model\.|transformer(_2)?\.|lora_unet_)?blocks[._]\d+[._]"
    r"(self_attn|cross_attn|attn1|attn2|ffn)[._]"
}
_DISTILL_REPO = "lightx2v/Wan2.1-Distill-Loras"
_DISTILL_SOURCE = "lightx2v's model card: 4 steps, CFG distilled (guidance 1)"


def _lightx2v(file: str) -> LoraPreset:
    """lightx2v's step- and CFG-distillation LoRA: on Wan 2.2 A14B it goes into both experts."""
    lora_id = file.removesuffix(".safetensors")
    return LoraPreset(
        id="lightx2v-4step",
        label="lightx2v 4-step",
        loras=(
            PresetLora(lora_id=lora_id, hub_repo=_DISTILL_REPO, hub_file=file),
            PresetLora(lora_id=lora_id, hub_repo=_DISTILL_REPO, hub_file=file, into_second_expert=True),
        ),
        steps=4,
        guidance=1.0,
        source=_DISTILL_SOURCE,
    )


# Civitai's `baseModel` names (civitai/civitai, src/shared/constants/basemodel.constants.ts, baseModelRecords).
CIVITAI_TI2V_5B = "Wan Video 2.2 TI2V-5B"
CIVITAI_T2V = (CIVITAI_TI2V_5B, "Wan Video 2.2 T2V-A14B", "Wan Video 14B t2v", "Wan Video 1.3B t2v")
CIVITAI_I2V = ("Wan Video 2.2 I2V-A14B", "Wan Video 14B i2v 480p", "Wan Video 14B i2v 720p")

T2V = register(
    VideoFamily(
        type="wan",
        weights=WEIGHTS,
        label="Wan",
        pipeline="WanPipeline",
        rules=RULES,
        default_steps=40,  # Wan 2.2 A14B's model card: 40 steps, guidance 4 (3 on the low-noise expert)
        default_guidance=4.0,
        decode=_decode,
        facts_from_folder=_facts,
        preview=PREVIEW,
        lora_bases=LORA_BASES,
        lora_markers=LORA_MARKERS,
        lora_presets=(_lightx2v("wan2.1_t2v_14b_lora_rank64_lightx2v_4step.safetensors"),),
        variants={"ti2v-5b": TI2V_5B},
        civitai_base_models=CIVITAI_T2V,
        civitai_variants={CIVITAI_TI2V_5B: "ti2v-5b"},
        variant_of=_variant,
        variant_of_file=_file_variant,
        single_file=SINGLE_FILE,
        split_files=SPLIT,
    )
)

I2V = register(
    VideoFamily(
        type="wan-i2v",
        weights=WEIGHTS,
        label="Wan I2V",
        pipeline="WanImageToVideoPipeline",
        rules=RULES,
        default_steps=40,  # Wan 2.2 I2V A14B's model card: 40 steps, guidance 3.5
        default_guidance=3.5,
        text_to_video=False,
        i2v_pipeline="WanImageToVideoPipeline",
        max_references=2,
        references_doc="the first image is the first frame; a second image, when given, is the last frame",
        call_args=_i2v_args,
        decode=_decode,
        facts_from_folder=_facts,
        preview=PREVIEW,
        lora_bases=LORA_BASES,
        lora_markers=LORA_MARKERS,
        lora_presets=(_lightx2v("wan2.1_i2v_lora_rank64_lightx2v_4step.safetensors"),),
        civitai_base_models=CIVITAI_I2V,
        split_files=SPLIT,  # refuses the A14B's files, naming what to use instead
    )
)
