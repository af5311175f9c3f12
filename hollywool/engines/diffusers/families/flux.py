"""FLUX.1 (schnell, dev): no negative prompt; latents are packed 2x2 into tokens."""

from hollywool.engines.diffusers.families.base import Family, LatentRGB


def _unpack(pipe, latents, height: int, width: int):  # noqa: ANN001, ANN202
    return pipe._unpack_latents(latents, height, width, pipe.vae_scale_factor)


FAMILY = Family(
    type="flux",
    label="FLUX",
    pipeline="FluxPipeline",
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
    lora_bases=("flux",),
)
