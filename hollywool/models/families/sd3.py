"""Stable Diffusion 3 / 3.5 (MMDiT, flow matching)."""

from hollywool.models.families.base import LatentRGB, SingleFile, register
from hollywool.models.families.image import ImageFamily, encode_pooled
from hollywool.models.precision import Weights

# Published sizes (GB) of stabilityai/stable-diffusion-3-medium-diffusers' fp16 files; the fp8 T5 is
# comfyanonymous/flux_text_encoders' t5xxl_fp8_e4m3fn (the one sd3_medium_incl_clips_t5xxlfp8 embeds).
WEIGHTS = {
    "transformer": Weights(bf16=4.17),
    "text_encoder": Weights(bf16=0.247),
    "text_encoder_2": Weights(bf16=1.39),
    "text_encoder_3": Weights(bf16=9.52, fp8=4.89, q8_0=5.06, q4_k=2.9),
    "vae": Weights(bf16=0.168),
}


FAMILY = register(
    ImageFamily(
        type="sd3",
        weights=WEIGHTS,
        label="Stable Diffusion 3",
        pipeline="StableDiffusion3Pipeline",
        inpaint_pipeline="StableDiffusion3InpaintPipeline",
        aliases=("sd35", "sd3.5"),
        size_multiple=16,
        default_size=1024,
        schedulers=("flow_euler", "flow_heun"),
        latent_rgb=LatentRGB(
            (
                (-0.0922, -0.0175, 0.0749),
                (0.0311, 0.0633, 0.0954),
                (0.1994, 0.0927, 0.0458),
                (0.0856, 0.0339, 0.0902),
                (0.0587, 0.0272, -0.0496),
                (-0.0006, 0.1104, 0.0309),
                (0.0978, 0.0306, 0.0427),
                (-0.0042, 0.1038, 0.1358),
                (-0.0194, 0.0020, 0.0669),
                (-0.0488, 0.0130, -0.0268),
                (0.0922, 0.0988, 0.0951),
                (-0.0278, 0.0524, -0.0542),
                (0.0332, 0.0456, 0.0895),
                (-0.0069, -0.0030, -0.0810),
                (-0.0596, -0.0465, -0.0293),
                (-0.1448, -0.1463, -0.1189),
            ),
            (0.2394, 0.2135, 0.1925),
        ),
        lora_bases={"sd3": "SD3"},
        # No shipped config: an SD3 single file needs `config:` (a diffusers folder of that model).
        single_file=SingleFile(markers=("model.diffusion_model.joint_blocks.", "joint_blocks.")),
        civitai_base_models=("SD 3", "SD 3.5", "SD 3.5 Medium", "SD 3.5 Large", "SD 3.5 Large Turbo"),
        default_steps=28,
        default_guidance=5.0,
        encode_prompt=encode_pooled,
        legacy=True,
    )
)
