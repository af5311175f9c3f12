"""FLUX.1 (schnell, dev): no negative prompt; latents are packed 2x2 into tokens."""

from collections.abc import Mapping
from typing import Any

from hollywool.models.families.base import LatentRGB, SingleFile, register
from hollywool.models.families.image import ImageFamily
from hollywool.models.families.split import SplitFiles, TextEncoderSlot
from hollywool.models.flux_original import flux1_to_diffusers
from hollywool.models.precision import Weights


def _unpack(pipe: Any, latents: Any, height: int, width: int) -> Any:
    return pipe._unpack_latents(latents, height, width, pipe.vae_scale_factor)


def _encode(
    pipe: Any, prompt: str, _negative: str | None, _cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    extra = {"max_sequence_length": options["max_sequence_length"]} if "max_sequence_length" in options else {}
    embeds, pooled, _text_ids = pipe.encode_prompt(
        prompt=prompt, prompt_2=None, device=device, num_images_per_prompt=1, **extra
    )
    return {"prompt_embeds": embeds, "pooled_prompt_embeds": pooled}


# Published sizes (GB): black-forest-labs/FLUX.1-dev's bf16 files (schnell's are the same size); fp8 from
# Kijai/flux-fp8 (flux1-dev-fp8) and comfyanonymous/flux_text_encoders (t5xxl_fp8_e4m3fn); GGUF from
# city96/FLUX.1-dev-gguf (Q8_0, Q4_K_S) and city96/t5-v1_1-xxl-encoder-gguf (Q8_0, Q4_K_M).
WEIGHTS = {
    "transformer": Weights(bf16=23.8, fp8=11.9, q8_0=12.7, q4_k=6.81),
    "text_encoder": Weights(bf16=0.246),
    "text_encoder_2": Weights(bf16=9.52, fp8=4.89, q8_0=5.06, q4_k=2.9),
    "vae": Weights(bf16=0.168),
}


def _schnell(shapes: Mapping[str, list[int]]) -> str | None:
    """FLUX.1 schnell has no guidance embedder (and is sampled without dynamic shifting)."""
    return None if any("guidance_in." in k for k in shapes) else "flux1-schnell"


def _tool(shapes: Mapping[str, list[int]]) -> str | None:
    """FLUX.1 Fill's input projection reads 384 channels (latents, masked-image latents and the 8x8-packed mask,
    each 2x2-packed) where FLUX.1's reads 64: diffusers' single-file loader and ComfyUI tell Fill by that too."""
    shape = shapes.get("img_in.weight") or shapes.get("model.diffusion_model.img_in.weight") or []
    return "flux-fill" if shape[1:] == [384] else None


def _single_file_variant(shapes: Mapping[str, list[int]]) -> tuple[str, str] | None:
    return ("flux1-schnell", "FLUX.1 schnell") if _schnell(shapes) else None


FAMILY = register(
    ImageFamily(
        type="flux",
        weights=WEIGHTS,
        label="FLUX",
        pipeline="FluxPipeline",
        inpaint_pipeline="FluxInpaintPipeline",
        control_pipelines={"FluxControlNetModel": "FluxControlNetPipeline"},
        aliases=("flux1", "flux.1"),
        size_multiple=16,
        default_size=1024,
        negative_prompt=False,
        schedulers=("flow_euler",),
        latent_rgb=LatentRGB(
            (
                (-0.0346, 0.0244, 0.0681),
                (0.0034, 0.0210, 0.0687),
                (0.0275, -0.0668, -0.0433),
                (-0.0174, 0.0160, 0.0617),
                (0.0859, 0.0721, 0.0329),
                (0.0004, 0.0383, 0.0115),
                (0.0405, 0.0861, 0.0915),
                (-0.0236, -0.0185, -0.0259),
                (-0.0245, 0.0250, 0.1180),
                (0.1008, 0.0755, -0.0421),
                (-0.0515, 0.0201, 0.0011),
                (0.0428, -0.0012, -0.0036),
                (0.0817, 0.0765, 0.0749),
                (-0.1264, -0.0522, -0.1103),
                (-0.0280, -0.0881, -0.0499),
                (-0.1262, -0.0982, -0.0778),
            ),
            (-0.0329, -0.0718, -0.0851),
        ),
        unpack_latents=_unpack,
        lora_bases={"flux": "FLUX"},
        lora_converter="kohya_names",  # ComfyUI layout and LDM block names (models/lora_formats.py)
        single_file=SingleFile(
            markers=("double_blocks.", "model.diffusion_model.double_blocks."),
            config="flux1",
            variant=_single_file_variant,
            family_of=_tool,
            # FLUX.1 Kontext has dev's keys and shapes (it reads its reference image as more tokens of the same
            # width), and ComfyUI loads it as plain FLUX.1 with the reference latents added by its workflow: no
            # weight tells it apart, so its file name does (flux1-kontext-dev, flux1-dev-kontext_fp8_scaled).
            family_by_name=(("kontext", "flux-kontext"),),
        ),
        # ComfyUI's split files: flux1-dev.safetensors (or fp8, or GGUF) + clip_l + t5xxl + ae.safetensors.
        split_files=SplitFiles(
            config="flux1",
            model_class="FluxTransformer2DModel",
            text_encoders=(
                TextEncoderSlot("text_encoder", "clip", "CLIPTextModel", ("clip_l",), "text_encoders.clip_l."),
                TextEncoderSlot("text_encoder_2", "t5", "T5EncoderModel", ("t5xxl", "t5"), "text_encoders.t5xxl."),
            ),
            vae_channels=16,
            vae_names=("ae", "flux"),
            variant=_schnell,
            convert=flux1_to_diffusers,  # diffusers' own conversion assumes the full-size width
        ),
        civitai_base_models=("Flux.1 D", "Flux.1 S"),
        default_steps=28,
        default_guidance=3.5,
        encode_prompt=_encode,
    )
)
