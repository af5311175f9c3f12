"""FLUX.2 [dev] and FLUX.2 [klein] (4B, 9B): one VAE and latent layout, two text encoders.

Both take reference images as the text-to-image pipeline's `image` (a list) for editing and
multi-reference generation; there is no separate image-to-image pipeline and no strength. Klein's
distilled checkpoints run 4 steps without guidance; its Base checkpoints and dev run ~50 steps.
"""

from collections.abc import Mapping
from typing import Any

from hollywool.models.comfy_layouts import flux2_to_diffusers, flux2_vae_to_diffusers
from hollywool.models.families.base import LatentRGB, SingleFile, register
from hollywool.models.families.image import ImageFamily
from hollywool.models.families.split import SplitFiles, TextEncoderSlot

# The VAE's 32 latent channels, fitted for previews by ComfyUI (comfy/latent_formats.py, class Flux2). They
# apply to the transformer's normalised latents after the 2x2 patches are put back in place.
_LATENT_RGB = LatentRGB(
    (
        (0.0058, 0.0113, 0.0073),
        (0.0495, 0.0443, 0.0836),
        (-0.0099, 0.0096, 0.0644),
        (0.2144, 0.3009, 0.3652),
        (0.0166, -0.0039, -0.0054),
        (0.0157, 0.0103, -0.0160),
        (-0.0398, 0.0902, -0.0235),
        (-0.0052, 0.0095, 0.0109),
        (-0.3527, -0.2712, -0.1666),
        (-0.0301, -0.0356, -0.0180),
        (-0.0107, 0.0078, 0.0013),
        (0.0746, 0.0090, -0.0941),
        (0.0156, 0.0169, 0.0070),
        (-0.0034, -0.0040, -0.0114),
        (0.0032, 0.0181, 0.0080),
        (-0.0939, -0.0008, 0.0186),
        (0.0018, 0.0043, 0.0104),
        (0.0284, 0.0056, -0.0127),
        (-0.0024, -0.0022, -0.0030),
        (0.1207, -0.0026, 0.0065),
        (0.0128, 0.0101, 0.0142),
        (0.0137, -0.0072, -0.0007),
        (0.0095, 0.0092, -0.0059),
        (0.0000, -0.0077, -0.0049),
        (-0.0465, -0.0204, -0.0312),
        (0.0095, 0.0012, -0.0066),
        (0.0290, -0.0034, 0.0025),
        (0.0220, 0.0169, -0.0048),
        (-0.0332, -0.0457, -0.0468),
        (-0.0085, 0.0389, 0.0609),
        (-0.0076, 0.0003, -0.0043),
        (-0.0111, -0.0460, -0.0614),
    ),
    (-0.0329, -0.0718, -0.0851),
)


def unpack_flux2_latents(pipe: Any, latents: Any, height: int, width: int) -> Any:
    """Step latents [batch, tokens, 4 * 32] -> [batch, 32, height / 8, width / 8].

    The tokens are the 2x2-patchified latent grid in row-major order (the pipeline's latent ids are a
    cartesian product of rows and columns), so a reshape puts them back; then the patches are undone.
    """
    batch, _tokens, channels = latents.shape
    rows, cols = height // (pipe.vae_scale_factor * 2), width // (pipe.vae_scale_factor * 2)
    grid = latents.reshape(batch, rows, cols, channels).permute(0, 3, 1, 2)
    return pipe._unpatchify_latents(grid)


# The FLUX.2 pipelines refuse a reference image under 64 px per side; larger ones they scale to ~1 MP.
_MIN_REFERENCE_SIDE = 64


def reference_list(images: list[Any]) -> list[Any]:
    """The job's reference images for `image`, each at its own size, small ones scaled up to the minimum."""
    out: list[Any] = []
    for image in images:
        short = min(image.width, image.height)
        if short < _MIN_REFERENCE_SIDE:
            scale = _MIN_REFERENCE_SIDE / short
            image = image.resize(
                (
                    max(_MIN_REFERENCE_SIDE, round(image.width * scale)),
                    max(_MIN_REFERENCE_SIDE, round(image.height * scale)),
                )
            )
        out.append(image)
    return out


def _encode(
    pipe: Any, prompt: str, _negative: str | None, _cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    # Klein Base encodes its empty negative prompt itself when guidance is on: only the prompt is kept.
    extra = {"max_sequence_length": options["max_sequence_length"]} if "max_sequence_length" in options else {}
    embeds, _text_ids = pipe.encode_prompt(prompt=prompt, device=device, num_images_per_prompt=1, **extra)
    return {"prompt_embeds": embeds}


_COMMON: dict[str, Any] = {
    "size_multiple": 16,  # the VAE's 8x and the 2x2 patches
    "default_size": 1024,
    "negative_prompt": False,
    "schedulers": ("flow_euler",),  # built from the model's own config, so FLUX.2's dynamic shift (`mu`) stays
    "latent_rgb": _LATENT_RGB,
    "unpack_latents": unpack_flux2_latents,
    "encode_prompt": _encode,
    "reference_list": reference_list,
    "lora_bases": {"flux2": "FLUX.2"},
}


def _dev_or_klein(shapes: dict[str, list[int]]) -> str:
    """FLUX.2 [dev] embeds its guidance (`guidance_in`); the [klein] transformers have no guidance embedder
    (`guidance_embeds: false` in their diffusers configs)."""
    return (
        "flux2"
        if any(k.removeprefix("model.diffusion_model.").startswith("guidance_in.") for k in shapes)
        else ("flux2-klein")
    )


# Black Forest Labs' original layout (and ComfyUI's, prefixed): FLUX.1's `double_blocks`, plus the shared
# modulation layers FLUX.2 moved out of the blocks (diffusers' single_file_utils tells FLUX.2 by this key).
SINGLE_FILE = SingleFile(
    markers=("single_stream_modulation.lin.", "model.diffusion_model.single_stream_modulation.lin."),
    family_of=_dev_or_klein,
)


def _klein_size(shapes: Mapping[str, list[int]]) -> str | None:
    """The shipped config of a [klein] file: its text input's width is three layers of its Qwen3 (4B: 3 x 2560,
    9B: 3 x 4096)."""
    width = next((s[1] for k, s in shapes.items() if k.endswith("txt_in.weight") and len(s) == 2), None)
    return {7680: "flux2-klein-4b", 12288: "flux2-klein-9b"}.get(width or 0)


# Comfy-Org/flux2-klein-4B and -9B's split files: flux-2-klein-4b(-fp8).safetensors (BFL's layout), Qwen3 in
# transformers' names (qwen_3_4b.safetensors, qwen_3_8b_fp8mixed.safetensors) and flux2-vae.safetensors.
KLEIN_SPLIT = SplitFiles(
    config="flux2-klein-4b",
    model_class="Flux2Transformer2DModel",
    text_encoders=(TextEncoderSlot("text_encoder", "llm", "Qwen3ForCausalLM", ("qwen_3_4b", "qwen_3_8b", "qwen3")),),
    vae_class="AutoencoderKLFlux2",
    vae_channels=32,
    vae_names=("flux2-vae", "flux2"),
    vae_family="flux2",  # the same flux2-vae.safetensors as [dev]
    variant=_klein_size,
    # Klein Base (undistilled: flux-2-klein-base-4b.safetensors, -9b, their fp8 and GGUF) has the distilled
    # checkpoints' architecture exactly (black-forest-labs/flux2's util.py builds both from Klein4BParams /
    # Klein9BParams; only `guidance_distilled` differs, which no weight shows): its file name says "base".
    named_config=lambda name, config: config.replace("flux2-klein-", "flux2-klein-base-") if "base" in name else config,
    # BFL's defaults for Base (util.py): 50 steps, guidance 4.0 with real CFG (`is_distilled: false`).
    config_defaults={"flux2-klein-base-4b": (50, 4.0), "flux2-klein-base-9b": (50, 4.0)},
    convert=flux2_to_diffusers,
    vae_convert=flux2_vae_to_diffusers,
)

# Comfy-Org/flux2-dev's split files: flux2_dev_fp8mixed.safetensors (BFL's layout, ComfyUI's mixed fp8),
# mistral_3_small_flux2_bf16 / fp8.safetensors (Mistral Small 3.1 in the original `model.layers.N` names, the vision
# tower as `vision_tower.`) and flux2-vae.safetensors. Shipped config: black-forest-labs/FLUX.2-dev's.
_MISTRAL_RENAMES = (
    (r"^model\.(?!language_model\.|vision_tower\.|multi_modal_projector\.)", "model.language_model."),
    (r"^(vision_tower|multi_modal_projector)\.", r"model.\1."),
)
DEV_SPLIT = SplitFiles(
    config="flux2-dev",
    model_class="Flux2Transformer2DModel",
    text_encoders=(
        TextEncoderSlot(
            "text_encoder",
            "llm",
            "Mistral3ForConditionalGeneration",
            ("mistral_3_small_flux2", "mistral3", "mistral"),
            renames=_MISTRAL_RENAMES,
            optional=("model.vision_tower.", "model.multi_modal_projector."),
        ),
    ),
    vae_class="AutoencoderKLFlux2",
    vae_channels=32,
    vae_names=("flux2-vae", "flux2"),
    convert=flux2_to_diffusers,
    vae_convert=flux2_vae_to_diffusers,
)

# Civitai's `baseModel` names (civitai/civitai, src/shared/constants/basemodel.constants.ts, baseModelRecords).
CIVITAI_DEV = ("Flux.2 D",)
CIVITAI_KLEIN = ("Flux.2 Klein 4B", "Flux.2 Klein 4B-base", "Flux.2 Klein 9B", "Flux.2 Klein 9B-base")

FLUX2 = register(
    ImageFamily(
        type="flux2",
        label="FLUX.2",
        pipeline="Flux2Pipeline",
        aliases=("flux.2", "flux2-dev"),
        civitai_base_models=CIVITAI_DEV,
        single_file=SINGLE_FILE,
        split_files=DEV_SPLIT,
        # diffusers' Flux2Pipeline defaults and the FLUX.2 [dev] model card: 50 steps, embedded guidance 4.
        default_steps=50,
        default_guidance=4.0,
        **_COMMON,
    )
)

FLUX2_KLEIN = register(
    ImageFamily(
        type="flux2-klein",
        label="FLUX.2 [klein]",
        pipeline="Flux2KleinPipeline",
        inpaint_pipeline="Flux2KleinInpaintPipeline",
        aliases=("flux.2-klein", "klein"),
        civitai_base_models=CIVITAI_KLEIN,
        split_files=KLEIN_SPLIT,
        # The distilled checkpoints (the ones the catalogue ships): 4 steps, guidance ignored (model card).
        default_steps=4,
        default_guidance=1.0,
        **_COMMON,
    )
)
