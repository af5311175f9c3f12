"""Stable Diffusion XL (and its fine-tunes: Turbo, Lightning, Playground, Juggernaut, ...)."""

from hollywool.engines.diffusers.families.base import Family, LatentRGB

FAMILY = Family(
    type="sdxl",
    label="SDXL",
    pipeline="StableDiffusionXLPipeline",
    size_multiple=8,
    default_size=1024,
    schedulers=("euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "ddim", "heun", "unipc", "lcm"),
    latent_rgb=LatentRGB(
        ((0.3651, 0.4232, 0.4341), (-0.2533, -0.0042, 0.1068), (0.1076, 0.1111, -0.0362), (-0.3165, -0.2492, -0.2188)),
        (0.1084, -0.0175, -0.0011),
    ),
    lora_bases=("sdxl",),
    single_file_config="sdxl",
)
