"""Chroma (Chroma1-HD, Base, Flash): FLUX.1-schnell-derived, T5 only, real classifier-free guidance.

The latents, VAE and preview are FLUX.1's; unlike FLUX.1 it takes a negative prompt, and the T5
attention mask travels with the embeddings.
"""

from typing import Any

from hollywool.models.families import flux
from hollywool.models.families.base import SingleFile, register
from hollywool.models.families.image import ImageFamily
from hollywool.models.families.split import SplitFiles, TextEncoderSlot
from hollywool.models.flux_original import chroma_to_diffusers


def _encode(
    pipe: Any, prompt: str, negative: str | None, cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    extra = {"max_sequence_length": options["max_sequence_length"]} if "max_sequence_length" in options else {}
    embeds, _ids, mask, negative_embeds, _negative_ids, negative_mask = pipe.encode_prompt(
        prompt=prompt,
        negative_prompt=negative if cfg else None,
        device=device,
        num_images_per_prompt=1,
        do_classifier_free_guidance=cfg,
        **extra,
    )
    return {
        "prompt_embeds": embeds,
        "prompt_attention_mask": mask,
        "negative_prompt_embeds": negative_embeds,
        "negative_prompt_attention_mask": negative_mask,
    }


def _on_convert(pipe: Any) -> None:
    # diffusers 0.42.1's ChromaInpaintPipeline reads `transformer.config.guidance_embeds`, which Chroma's
    # transformer (FLUX.1-schnell-derived, no guidance embedding) does not have: say so in its config.
    if "guidance_embeds" not in pipe.transformer.config:
        pipe.transformer.register_to_config(guidance_embeds=False)


FAMILY = register(
    ImageFamily(
        type="chroma",
        label="Chroma",
        pipeline="ChromaPipeline",
        inpaint_pipeline="ChromaInpaintPipeline",
        img2img_pipeline="ChromaImg2ImgPipeline",
        aliases=("chroma1",),
        size_multiple=16,
        default_size=1024,
        negative_prompt=True,
        schedulers=("flow_euler",),
        latent_rgb=flux.FAMILY.latent_rgb,
        unpack_latents=flux.FAMILY.unpack_latents,
        # Chroma LoRAs are FLUX.1-layout files; FLUX.1 LoRAs load too (the same blocks, minus the modulation).
        lora_bases={"chroma": "Chroma", "flux": "FLUX"},
        civitai_base_models=("Chroma",),  # Civitai's name (civitai/civitai, basemodel.constants.ts)
        # FLUX.1's layout with Chroma's own guidance network in place of FLUX's modulation (diffusers'
        # single_file_utils tells Chroma by it); without it a Chroma file would pass for FLUX.1.
        single_file=SingleFile(
            markers=("distilled_guidance_layer.", "model.diffusion_model.distilled_guidance_layer.")
        ),
        # The files Chroma users hold: chroma-unlocked-v*.safetensors / Chroma1-HD.safetensors (FLUX.1's original
        # layout, fp8 or GGUF too), FLUX.1's t5xxl and ae.safetensors. Shipped config: lodestones/Chroma1-HD's.
        split_files=SplitFiles(
            config="chroma",
            model_class="ChromaTransformer2DModel",
            text_encoders=(TextEncoderSlot("text_encoder", "t5", "T5EncoderModel", ("t5xxl", "t5")),),
            vae_channels=16,
            vae_names=("ae", "flux"),
            vae_family="flux",
            convert=chroma_to_diffusers,  # diffusers' own conversion assumes the full-size width
        ),
        # diffusers' Chroma docs (lodestones/Chroma1-HD): 40 steps, guidance 3.0, with a negative prompt.
        default_steps=40,
        default_guidance=3.0,
        encode_prompt=_encode,
        on_convert=_on_convert,
    )
)
