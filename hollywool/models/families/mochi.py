"""Mochi 1: 6k+1 frames at 30 fps, 848x480."""

from __future__ import annotations

from typing import Any

from hollywool.models.families.base import LatentRGB, register
from hollywool.models.families.video import Decoded, LatentPreview, Rules, VideoFamily, postprocess
from hollywool.models.precision import Weights


def _decode(pipe: Any, saved: dict[str, Any], meta: dict[str, Any], low_memory: bool) -> Decoded:
    import torch

    vae = pipe.vae
    latents = saved["video"].to(vae.device, vae.dtype)
    mean, std = vae.config.latents_mean, vae.config.latents_std
    if mean is not None and std is not None:
        channels = len(mean)
        mean = torch.tensor(mean).view(1, channels, 1, 1, 1).to(latents.device, latents.dtype)
        std = torch.tensor(std).view(1, channels, 1, 1, 1).to(latents.device, latents.dtype)
        latents = latents * std / vae.config.scaling_factor + mean
    else:
        latents = latents / vae.config.scaling_factor
    return Decoded(postprocess(pipe, vae.decode(latents, return_dict=False)[0]))


def _pipe_args(pipe: Any) -> dict[str, Any]:
    return {"max_sequence_length": pipe.transformer.config.max_sequence_length}


# genmo/mochi-1-preview: a 10B transformer (bf16 20.1; Comfy-Org/mochi_preview_repackaged fp8_scaled about
# 10.0), T5-XXL (9.52; fp8 4.89 as for FLUX) and the 3D VAE (1.84), as listed by localmodel-run's Mochi page.
WEIGHTS = {
    "transformer": Weights(bf16=20.1, fp8=10.0),
    "text_encoder": Weights(bf16=9.52, fp8=4.89, q8_0=5.06, q4_k=2.9),
    "vae": Weights(bf16=1.84),
}


FAMILY = register(
    VideoFamily(
        type="mochi",
        weights=WEIGHTS,
        label="Mochi",
        legacy=True,
        pipeline="MochiPipeline",
        default_steps=64,  # Genmo's model card: 64 steps, guidance 4.5
        default_guidance=4.5,
        rules=Rules(
            frame_step=6,
            max_frames=163,
            default_frames=85,
            size_multiple=16,
            max_width=848,
            max_height=848,
            fps=30.0,
            default_size=(848, 480),
        ),
        pipe_args=_pipe_args,
        decode=_decode,
        # Mochi's 12 normalised channels, as fitted in ComfyUI's latent formats.
        preview=LatentPreview(
            rgb=LatentRGB(
                (
                    (-0.0069, -0.0045, 0.0018),
                    (0.0154, -0.0692, -0.0274),
                    (0.0333, 0.0019, 0.0206),
                    (-0.1390, 0.0628, 0.1678),
                    (-0.0725, 0.0134, -0.1898),
                    (0.0074, -0.0270, -0.0209),
                    (-0.0176, -0.0277, -0.0221),
                    (0.5294, 0.5204, 0.3852),
                    (-0.0326, -0.0446, -0.0143),
                    (-0.0659, 0.0153, -0.0153),
                    (0.0185, -0.0217, 0.0014),
                    (-0.0396, -0.0495, -0.0281),
                ),
                (-0.0940, -0.1418, -0.1453),
            )
        ),
    )
)
