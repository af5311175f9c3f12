"""Live previews for video jobs: the middle frame of the current latents, projected to RGB, no VAE decode.

Each family says how its callback latents are laid out (and unpacked); see `LatentPreview`. The
projection is one small matrix product (or three channel-group means) at latent size, then a bilinear
resize to preview size: far below a millisecond next to a denoising step.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from hollywool.models.families.video import LatentPreview

PREVIEW_SIDE = 256  # longest side of a preview image


def middle_frame(spec: LatentPreview, pipe: Any, latents: Any, meta: dict[str, Any]) -> Any:
    """The latent channels [C, h, w] of the middle latent frame of the first video in the batch."""
    if spec.unpack is not None:
        latents = spec.unpack(pipe, latents, meta)
    video = latents[0].detach()
    if spec.layout == "BCFHW":  # video is [C, F, h, w]
        return video[:, video.shape[1] // 2]
    return video[video.shape[0] // 2]  # video is [F, C, h, w]


def project_to_rgb(spec: LatentPreview, frame: Any) -> Any:
    """[C, h, w] latent channels -> [h, w, 3] floats in [0, 1]."""
    import torch

    frame = frame.float().cpu()
    channels = frame.shape[0]
    if spec.rgb is not None and len(spec.rgb.factors) == channels:
        rgb = torch.einsum("chw,cr->hwr", frame, torch.tensor(spec.rgb.factors)) + torch.tensor(spec.rgb.bias)
        return ((rgb + 1) / 2).clamp(0, 1)
    # No fitted projection for this latent space: the mean of three channel groups, each normalised.
    bounds = [min(round(i * channels / 3), channels - 1) for i in range(3)] + [channels]
    maps: list[Any] = []  # torch tensors
    for i in range(3):
        group = frame[bounds[i] : max(bounds[i + 1], bounds[i] + 1)].mean(dim=0)
        maps.append((group - group.mean()) / (group.std(unbiased=False) + 1e-6))
    return (torch.stack(maps, dim=-1) * 0.25 + 0.5).clamp(0, 1)


def latents_to_preview(spec: LatentPreview, pipe: Any, latents: Any, meta: dict[str, Any]) -> Image.Image:
    """A small RGB image of the middle frame, at the video's aspect ratio."""
    import torch

    rgb = project_to_rgb(spec, middle_frame(spec, pipe, latents, meta))
    image = Image.fromarray(rgb.mul(255).to(torch.uint8).numpy(), "RGB")
    width, height = meta["width"], meta["height"]
    scale = min(1.0, PREVIEW_SIDE / max(width, height))
    return image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BILINEAR)
