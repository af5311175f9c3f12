"""HunyuanVideo 1.5 text- and image-to-video: 4k+1 frames at 24 fps, sizes in 16s.

Its text-to-video and image-to-video models are separate checkpoints of one architecture: one type, two
variants, told apart by whether the folder has an image encoder (or named by a catalogue entry's
`extra.variant`). In diffusers 0.42 its pipelines take no step callback and no guidance scale (a
`guider` component holds it), and image-to-video picks its own size: the aspect bucket nearest the
image's, of about target_size x target_size pixels (640 for the 480p models, 960 for 720p).
"""

from __future__ import annotations

from typing import Any

from hollywool.models.families.base import SingleFile, register
from hollywool.models.families.video import Decoded, LatentPreview, Rules, Variant, VideoFamily, postprocess


def _decode(pipe: Any, saved: dict[str, Any], meta: dict[str, Any], low_memory: bool) -> Decoded:
    vae = pipe.vae
    latents = saved["video"].to(vae.device, vae.dtype) / vae.config.scaling_factor
    return Decoded(postprocess(pipe, vae.decode(latents, return_dict=False)[0]))


def _facts(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    vae, transformer = configs.get("vae", {}), configs.get("transformer", {})
    facts: dict[str, Any] = {}
    if vae.get("temporal_compression_ratio"):
        facts["frame_step"] = int(vae["temporal_compression_ratio"])
    if vae.get("spatial_compression_ratio"):
        facts["size_multiple"] = int(vae["spatial_compression_ratio"]) * int(transformer.get("patch_size") or 1)
    if transformer.get("target_size"):
        facts["image_buckets"] = int(transformer["target_size"])
    return facts


def _variant(configs: dict[str, dict[str, Any]]) -> str | None:
    index = configs.get("model_index")
    if not index:
        return None
    encoder = index.get("image_encoder")
    return "i2v" if isinstance(encoder, list) and encoder and encoder[0] else "t2v"


# Tencent's original layout (and ComfyUI's, prefixed): `cond_type_embedding` is HunyuanVideo 1.5's own (HunyuanVideo 1
# and HunyuanImage 2.1 have none). diffusers 0.42.1 has no single-file conversion for it: refused, naming the folders.
SINGLE_FILE = SingleFile(
    markers=("cond_type_embedding.", "model.diffusion_model.cond_type_embedding."),
    unsupported=(
        "the studio cannot load HunyuanVideo 1.5 from a single file (diffusers 0.42.1 has no conversion for it); use a "
        "diffusers folder instead: the catalogue's HunyuanVideo 1.5 models "
        "(hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-720p_t2v, -720p_i2v)"
    ),
)

FAMILY = register(
    VideoFamily(
        type="hunyuanvideo15",
        single_file=SINGLE_FILE,
        label="HunyuanVideo 1.5",
        pipeline="HunyuanVideo15Pipeline",
        # No Civitai name: Civitai's base models (civitai/civitai, basemodel.constants.ts) have only "Hunyuan Video",
        # HunyuanVideo 1 (13B), another architecture; its files must not become 1.5 models.
        civitai_base_models=(),
        aliases=("hunyuan-video-1.5", "hunyuanvideo-1.5"),
        rules=Rules(
            frame_step=4,
            max_frames=241,  # 5 to 10 s at 24 fps (Tencent's model card); 121 is the trained default
            default_frames=121,
            size_multiple=16,
            max_width=1280,
            max_height=1280,
            fps=24.0,
            default_size=(1280, 720),
            image_buckets=960,  # the 720p models' target size; a folder's transformer config says its own
        ),
        i2v_pipeline="HunyuanVideo15ImageToVideoPipeline",
        max_references=1,
        references_doc="the first image is the first frame; the video takes the size bucket nearest its aspect",
        decode=_decode,
        facts_from_folder=_facts,
        preview=LatentPreview(),  # 32 latent channels, no fitted projection: the channel-group preview
        step_callback=False,
        guidance_by_guider=True,
        variants={
            "t2v": Variant(family={"i2v_pipeline": None, "max_references": 0, "references_doc": ""}),
            "i2v": Variant(family={"text_to_video": False}),
        },
        variant_of=_variant,
    )
)
