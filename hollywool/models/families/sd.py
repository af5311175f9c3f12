"""Stable Diffusion 1.x and 2.x."""

from hollywool.models.families.base import LatentRGB, SingleFile, register
from hollywool.models.families.image import ImageFamily, encode_clip
from hollywool.models.precision import Weights

# The first cross-attention's key projection: (320, 768) in SD 1.x, (320, 1024) in SD 2.x (OpenCLIP-H).
_CROSS_ATTN_K = "model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight"
SD2 = "SD 2.x"


def _sd2(shapes: dict[str, list[int]]) -> tuple[str, str] | None:
    """SD 2.x checkpoints (OpenCLIP-H text encoder, 768 v-prediction) load with the shipped sd2 config."""
    shape = shapes.get(_CROSS_ATTN_K)
    wide = bool(shape) and len(shape) == 2 and int(shape[-1]) == 1024
    if wide or any(k.startswith("cond_stage_model.model.") for k in shapes):
        return "sd2", SD2
    return None


# Published sizes (GB) of stable-diffusion-v1-5/stable-diffusion-v1-5's fp16 variant files on the model hub.
WEIGHTS = {
    "unet": Weights(bf16=1.72),
    "text_encoder": Weights(bf16=0.246),
    "vae": Weights(bf16=0.167),
}


FAMILY = register(
    ImageFamily(
        type="sd",
        weights=WEIGHTS,
        label="Stable Diffusion 1.x/2.x",
        pipeline="StableDiffusionPipeline",
        inpaint_pipeline="StableDiffusionInpaintPipeline",
        control_pipelines={"ControlNetModel": "StableDiffusionControlNetPipeline"},
        latent_upscale=True,
        aliases=("sd1", "sd15", "sd2", "sd21"),
        size_multiple=8,
        default_size=512,
        schedulers=("euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "ddim", "pndm", "heun", "unipc", "lcm"),
        latent_rgb=LatentRGB(
            ((0.3512, 0.2297, 0.3227), (0.3250, 0.4974, 0.2350), (-0.2829, 0.1762, 0.2721), (-0.2120, -0.2616, -0.7177))
        ),
        lora_bases={"sd1": "SD 1.x", "sd2": "SD 2.x"},
        lora_converter="kohya_names",  # ComfyUI layout and LDM block names (models/lora_formats.py)
        single_file=SingleFile(
            markers=("cond_stage_model.transformer.", "cond_stage_model.model."), config="sd15", variant=_sd2
        ),
        civitai_base_models=("SD 1.4", "SD 1.5", "SD 1.5 LCM", "SD 1.5 Hyper"),
        default_steps=25,
        default_guidance=7.0,
        encode_prompt=encode_clip,
        prompt_weights=True,
    )
)
