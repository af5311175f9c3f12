"""Tiny Real-ESRGAN (RRDBNet) upscaler weights that spandrel recognises.

The state dict uses the basicsr / Real-ESRGAN key layout (``conv_first``, ``body.N.rdbK.convM``,
``conv_body``, ``conv_up1``, ``conv_up2``, ``conv_hr``, ``conv_last``), like ``RealESRGAN_x4plus.pth``.
The network always upsamples 4x internally; the 2x model (like ``RealESRGAN_x2plus``) first
pixel-unshuffles its input by 2, so ``conv_first`` takes 12 channels and spandrel reports scale 2.
spandrel only recognises the default growth channels (32), so that stays fixed; the feature width and the
number of blocks are small.
"""

from __future__ import annotations

from pathlib import Path

import torch

GROWTH_CHANNELS = 32  # spandrel's ESRGAN detection assumes the default


def rrdbnet_state_dict(
    scale: int = 4, *, num_feat: int = 16, num_blocks: int = 2, seed: int = 0, gain: float = 1.0
) -> dict[str, torch.Tensor]:
    """Seeded random Real-ESRGAN RRDBNet weights for ``scale`` 2 or 4.

    Weights are drawn with a fan-in scaled deviation so activations keep their size through the
    network (the output is noise-like but not blank).
    """
    if scale not in (2, 4):
        raise ValueError(f"scale must be 2 or 4, not {scale}")
    generator = torch.Generator().manual_seed(seed)
    in_channels = 3 * (4 if scale == 2 else 1)  # 2x models pixel-unshuffle the input by 2
    state: dict[str, torch.Tensor] = {}

    def conv(name: str, out_ch: int, in_ch: int) -> None:
        std = gain / (9 * in_ch) ** 0.5
        state[f"{name}.weight"] = torch.randn(out_ch, in_ch, 3, 3, generator=generator) * std
        state[f"{name}.bias"] = torch.zeros(out_ch)

    conv("conv_first", num_feat, in_channels)
    gc = GROWTH_CHANNELS
    for block in range(num_blocks):
        for rdb in (1, 2, 3):
            prefix = f"body.{block}.rdb{rdb}"
            for m in range(1, 5):
                conv(f"{prefix}.conv{m}", gc, num_feat + (m - 1) * gc)
            conv(f"{prefix}.conv5", num_feat, num_feat + 4 * gc)
    conv("conv_body", num_feat, num_feat)
    conv("conv_up1", num_feat, num_feat)
    conv("conv_up2", num_feat, num_feat)
    conv("conv_hr", num_feat, num_feat)
    conv("conv_last", 3, num_feat)
    return state


def write_realesrgan(out_path: str | Path, scale: int = 4, **kwargs) -> Path:
    """Write a tiny Real-ESRGAN model to ``out_path``.

    ``.safetensors`` gets the flat state dict; ``.pth`` gets ``{"params_ema": state_dict}`` like the
    official Real-ESRGAN releases. Load with ``spandrel.ModelLoader().load_from_file(out_path)``.
    """
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    state = rrdbnet_state_dict(scale, **kwargs)
    if out_path.suffix == ".safetensors":
        from safetensors.torch import save_file

        save_file(state, out_path)
    else:
        torch.save({"params_ema": state}, out_path)
    return out_path
