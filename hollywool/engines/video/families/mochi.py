"""Mochi 1: 6k+1 frames at 30 fps, 848x480."""

from __future__ import annotations

from typing import Any

from hollywool.engines.video.families.base import Decoded, Rules, VideoFamily, postprocess


def _decode(pipe, saved: dict[str, Any], meta: dict[str, Any], low_memory: bool) -> Decoded:  # noqa: ANN001
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


def _pipe_args(pipe) -> dict[str, Any]:  # noqa: ANN001
    return {"max_sequence_length": pipe.transformer.config.max_sequence_length}


FAMILY = VideoFamily(
    type="mochi",
    label="Mochi",
    pipeline="MochiPipeline",
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
)
