"""Live previews: a cheap linear latent-to-RGB projection, no VAE decode.

Each family gives a channels-by-3 matrix (fitted by the community on real latents, see ComfyUI's
latent formats). One matrix product per preview costs well under a millisecond at preview size.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from hollywool.models.families import ImageFamily

# A preview every this many steps (and always at the last step).
PREVIEW_EVERY = 2


def should_preview(step: int, total: int) -> bool:
    return step % PREVIEW_EVERY == 0 or step == total - 1


def latents_to_preview(family: ImageFamily, pipe: Any, latents: Any, height: int, width: int) -> Image.Image | None:
    """An RGB image of the first latent in the batch (a torch tensor), or None when the family has no projection."""
    import torch

    if family.latent_rgb is None:
        return None
    if family.unpack_latents is not None:
        latents = family.unpack_latents(pipe, latents, height, width)
    first = latents[0].detach().float().cpu()  # [channels, h, w]
    factors = torch.tensor(family.latent_rgb.factors)
    if first.shape[0] != factors.shape[0]:
        return None
    rgb = torch.einsum("chw,cr->hwr", first, factors) + torch.tensor(family.latent_rgb.bias)
    pixels = ((rgb + 1) / 2).clamp(0, 1).mul(255).to(torch.uint8).numpy()
    return Image.fromarray(pixels, "RGB")
