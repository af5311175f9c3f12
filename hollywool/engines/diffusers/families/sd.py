"""Stable Diffusion 1.x and 2.x."""

from hollywool.engines.diffusers.families.base import Family, LatentRGB

FAMILY = Family(
    type="sd",
    label="Stable Diffusion 1.x/2.x",
    pipeline="StableDiffusionPipeline",
    size_multiple=8,
    default_size=512,
    schedulers=("euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "ddim", "pndm", "heun", "unipc", "lcm"),
    latent_rgb=LatentRGB(
        ((0.3512, 0.2297, 0.3227), (0.3250, 0.4974, 0.2350), (-0.2829, 0.1762, 0.2721), (-0.2120, -0.2616, -0.7177))
    ),
    lora_bases=("sd1", "sd2"),
    single_file_config="sd15",
)
