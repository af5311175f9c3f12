"""Stable Video Diffusion (XT): image only, no prompt; up to 25 frames at 1024x576."""

from __future__ import annotations

from typing import Any

from hollywool.models.families import sd
from hollywool.models.families.base import register
from hollywool.models.families.video import Decoded, LatentPreview, Rules, VideoFamily, postprocess
from hollywool.models.precision import Weights


def _call_args(params: Any, _rules: Rules, _images: list[Any]) -> dict[str, Any]:
    # SVD's guidance ramps from 1 to max_guidance_scale across the frames; fps is a conditioning input.
    return {
        "max_guidance_scale": params.guidance_scale,
        "fps": max(int(round(params.fps)) - 1, 1),
        "decode_chunk_size": 8,
    }


def _decode(pipe: Any, saved: dict[str, Any], meta: dict[str, Any], low_memory: bool) -> Decoded:
    latents = saved["video"].to(pipe.vae.device, pipe.vae.dtype)
    chunk = 1 if low_memory else 8
    return Decoded(postprocess(pipe, pipe.decode_latents(latents, meta["num_frames"], chunk)))


def _facts(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    vae = configs.get("vae", {})
    return {"size_multiple": 2 ** (len(vae["block_out_channels"]) - 1)} if "block_out_channels" in vae else {}


# Published sizes (GB) of stabilityai/stable-video-diffusion-img2vid-xt's fp16 variant files.
WEIGHTS = {
    "unet": Weights(bf16=3.05),
    "image_encoder": Weights(bf16=1.26),
    "vae": Weights(bf16=0.196),
}


FAMILY = register(
    VideoFamily(
        type="svd",
        weights=WEIGHTS,
        label="Stable Video Diffusion",
        legacy=True,
        pipeline="StableVideoDiffusionPipeline",
        default_steps=25,  # StableVideoDiffusionPipeline's defaults: 25 steps, max guidance 3
        default_guidance=3.0,
        rules=Rules(
            frame_step=1,
            max_frames=25,
            default_frames=25,
            size_multiple=8,
            max_width=1024,
            max_height=1024,
            fps=7.0,
            default_size=(1024, 576),
        ),
        text_to_video=False,
        i2v_pipeline="StableVideoDiffusionPipeline",
        max_references=1,
        references_doc="the first image is the first frame; SVD takes no prompt",
        prompt=False,
        negative_prompt=False,
        call_args=_call_args,
        decode=_decode,
        facts_from_folder=_facts,
        config_files=("vae", "unet"),
        # SVD samples [B, F, C, H, W] in Stable Diffusion's scaled 4-channel VAE space.
        preview=LatentPreview(layout="BFCHW", rgb=sd.FAMILY.latent_rgb),
    )
)
