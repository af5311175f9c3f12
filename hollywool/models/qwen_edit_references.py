"""Qwen-Image-Edit inpaint with reference images, read the way the Edit-Plus models (2509, 2511) read them.

diffusers' `QwenImageEditInpaintPipeline` was written for the first Qwen-Image-Edit: it shows the model one
image, the one it paints on, with that model's prompt template. The 2509/2511 models were trained on the
Edit-Plus pipeline's way instead: every input image named in the prompt ("Picture 1: ..., Picture 2: ...") at
about 384x384 for the vision encoder, and each one's VAE latents at about 1024x1024 beside the latents being
denoised. So the studio encodes the prompt with the Edit-Plus pipeline's encoder over the source and the
references, and, while the inpaint pipeline runs, a forward pre-hook on the transformer appends the references'
latent tokens (and their shapes, which place them in the rotary positions as later frames) to the tokens the
pipeline passes. The pipeline keeps only the prediction for its own latents, so the extra tokens need no undoing.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Generator
from typing import Any

CONDITION_AREA = 384 * 384  # diffusers' QwenImageEditPlusPipeline: the vision encoder's image size
VAE_AREA = 1024 * 1024  # and the VAE's


@contextlib.contextmanager
def inpaint_with_references(
    pipe: Any, call: dict[str, Any], references: list[Any]
) -> Generator[dict[str, Any], None, None]:
    """`call` (a QwenImageEditInpaintPipeline call whose `image` is the source) with its prompts encoded over
    the source and `references` (PIL images), and the transformer seeing the references while inside."""
    import torch
    from diffusers import QwenImageEditPlusPipeline  # pyright: ignore[reportPrivateImportUsage]  # its documented import

    plus: Any = QwenImageEditPlusPipeline
    encoder = plus.from_pipe(pipe)
    device = pipe._execution_device
    shown = [call["image"], *references]
    condition: list[Any] = []
    for image in shown:
        w, h = area_size(CONDITION_AREA, image.width / image.height)
        condition.append(encoder.image_processor.resize(image, h, w))
    made = {k: v for k, v in call.items() if k not in ("prompt", "negative_prompt")}
    with torch.no_grad():
        made["prompt_embeds"], made["prompt_embeds_mask"] = _encode(encoder, call["prompt"], condition, device)
        if call.get("negative_prompt") is not None:
            made["negative_prompt_embeds"], made["negative_prompt_embeds_mask"] = _encode(
                encoder, call["negative_prompt"], condition, device
            )
    if not references:
        yield made
        return
    tokens: list[Any] = []
    shapes: list[tuple[int, int, int]] = []
    scale = pipe.vae_scale_factor
    with torch.no_grad():
        for image in references:
            w, h = area_size(VAE_AREA, image.width / image.height)
            pixels = pipe.image_processor.preprocess(image, h, w).unsqueeze(2)
            latents = _vae_latents(pipe, pixels.to(device=device, dtype=pipe.vae.dtype))
            tokens.append(pipe._pack_latents(latents, 1, latents.shape[1], latents.shape[3], latents.shape[4]))
            shapes.append((1, h // scale // 2, w // scale // 2))
    extra = torch.cat(tokens, dim=1)

    def add_references(_module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        hidden = kwargs["hidden_states"]
        more = extra.to(device=hidden.device, dtype=hidden.dtype).expand(hidden.shape[0], -1, -1)
        kwargs["hidden_states"] = torch.cat([hidden, more], dim=1)
        kwargs["img_shapes"] = [[*sample, *shapes] for sample in kwargs["img_shapes"]]
        return args, kwargs

    handle = pipe.transformer.register_forward_pre_hook(add_references, with_kwargs=True)
    try:
        yield made
    finally:
        handle.remove()


def area_size(area: int, aspect: float) -> tuple[int, int]:
    """Width and height of about `area` pixels at `aspect` (width / height), in multiples of 32: diffusers'
    `calculate_dimensions` of the Qwen-Image-Edit pipelines."""
    width = math.sqrt(area * aspect)
    return round(width / 32) * 32, round(width / aspect / 32) * 32


def _encode(encoder: Any, prompt: str, images: list[Any], device: Any) -> tuple[Any, Any]:
    embeds, mask = encoder.encode_prompt(prompt, image=images, device=device)
    # The encoder drops an all-ones mask; the inpaint pipeline wants one with given embeddings.
    return embeds, mask if mask is not None else embeds.new_ones(embeds.shape[:2], dtype=embeds.dtype).long()


def _vae_latents(pipe: Any, pixels: Any) -> Any:
    """The VAE's mean for `pixels` (as the Edit-Plus pipeline encodes references: no sampling), normalised."""
    import torch

    latents = pipe.vae.encode(pixels).latent_dist.mode()
    config = pipe.vae.config
    mean = torch.tensor(config.latents_mean).view(1, config.z_dim, 1, 1, 1).to(latents)
    std = torch.tensor(config.latents_std).view(1, config.z_dim, 1, 1, 1).to(latents)
    return (latents - mean) / std
