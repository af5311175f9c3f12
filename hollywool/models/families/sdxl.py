"""Stable Diffusion XL (and its fine-tunes: Turbo, Lightning, Playground, Juggernaut, ...)."""

from hollywool.models.families.base import LatentRGB, SingleFile, register
from hollywool.models.families.image import ImageFamily, encode_pooled
from hollywool.models.precision import Weights

# Published sizes (GB) of stabilityai/stable-diffusion-xl-base-1.0's fp16 variant files on the model hub.
WEIGHTS = {
    "unet": Weights(bf16=5.14),
    "text_encoder": Weights(bf16=0.246),
    "text_encoder_2": Weights(bf16=1.39),
    "vae": Weights(bf16=0.167),
}


FAMILY = register(
    ImageFamily(
        type="sdxl",
        weights=WEIGHTS,
        label="SDXL",
        pipeline="StableDiffusionXLPipeline",
        inpaint_pipeline="StableDiffusionXLInpaintPipeline",
        control_pipelines={
            "ControlNetUnionModel": "StableDiffusionXLControlNetUnionPipeline",
            "ControlNetUnionModel/image-to-image": "StableDiffusionXLControlNetUnionImg2ImgPipeline",
            "ControlNetUnionModel/inpaint": "StableDiffusionXLControlNetUnionInpaintPipeline",
            "ControlNetModel": "StableDiffusionXLControlNetPipeline",
            "ControlNetModel/image-to-image": "StableDiffusionXLControlNetImg2ImgPipeline",
            "ControlNetModel/inpaint": "StableDiffusionXLControlNetInpaintPipeline",
        },
        latent_upscale=True,
        aliases=("sd-xl", "xl"),
        size_multiple=8,
        default_size=1024,
        schedulers=("euler", "euler_a", "dpmpp_2m", "dpmpp_2m_karras", "ddim", "heun", "unipc", "lcm"),
        latent_rgb=LatentRGB(
            (
                (0.3651, 0.4232, 0.4341),
                (-0.2533, -0.0042, 0.1068),
                (0.1076, 0.1111, -0.0362),
                (-0.3165, -0.2492, -0.2188),
            ),
            (0.1084, -0.0175, -0.0011),
        ),
        lora_bases={"sdxl": "SDXL"},
        lora_converter="kohya_names",  # ComfyUI layout and LDM block names (models/lora_formats.py)
        single_file=SingleFile(markers=("conditioner.embedders.1.",), config="sdxl"),
        civitai_base_models=(
            "SDXL 1.0",
            "SDXL Lightning",
            "SDXL Hyper",
            "SDXL Turbo",
            "Pony",
            "Illustrious",
            "NoobAI",
        ),
        default_steps=25,
        default_guidance=6.0,
        encode_prompt=encode_pooled,
        prompt_weights=True,
    )
)
