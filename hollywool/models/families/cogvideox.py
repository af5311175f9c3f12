"""CogVideoX 2B/5B text-to-video and 5B image-to-video: 4k+1 frames (49 at 8 fps), sizes in 16s."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hollywool.models.families.base import register
from hollywool.models.families.video import Decoded, LatentPreview, Rules, VideoFamily, postprocess
from hollywool.models.precision import Weights


def _decode(pipe: Any, saved: dict[str, Any], meta: dict[str, Any], low_memory: bool) -> Decoded:
    latents = saved["video"].to(pipe.vae.device, pipe.vae.dtype)  # [B, F, C, H, W]
    # CogVideoX 1.5 pads the latent frames to its temporal patch; the pipeline drops them before decoding.
    patch_t = getattr(pipe.transformer.config, "patch_size_t", None)
    if patch_t:
        latent_frames = (meta["num_frames"] - 1) // pipe.vae_scale_factor_temporal + 1
        latents = latents[:, (patch_t - latent_frames % patch_t) % patch_t :]
    return Decoded(postprocess(pipe, pipe.decode_latents(latents)))


def _pipe_args(pipe: Any) -> dict[str, Any]:
    return {"max_sequence_length": pipe.transformer.config.max_text_seq_length}


def _facts(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    vae, transformer = configs.get("vae", {}), configs.get("transformer", {})
    facts: dict[str, Any] = {}
    if "temporal_compression_ratio" in vae:
        facts["frame_step"] = int(vae["temporal_compression_ratio"])
    spatial = 2 ** (len(vae.get("block_out_channels", [0] * 4)) - 1)
    facts["size_multiple"] = spatial * int(transformer.get("patch_size", 2))
    if transformer.get("sample_frames"):
        facts["max_frames"] = int(transformer["sample_frames"])
    if transformer.get("use_learned_positional_embeddings") and transformer.get("sample_width"):
        facts["fixed_size"] = (transformer["sample_width"] * spatial, transformer["sample_height"] * spatial)
    return facts


# Callback latents are [B, F, C, H, W]; no community projection is fitted for CogVideoX's latent space.
PREVIEW = LatentPreview(layout="BFCHW")

RULES = Rules(
    frame_step=4,
    max_frames=49,
    default_frames=49,
    size_multiple=16,
    max_width=1360,
    max_height=768,
    fps=8.0,
    default_size=(720, 480),
)

# Published sizes (GB) of THUDM/CogVideoX-5b's bf16 files (the 2B model is smaller; its folder is measured
# once downloaded); the fp8 T5 is comfyanonymous/flux_text_encoders' t5xxl_fp8_e4m3fn.
WEIGHTS = {
    "transformer": Weights(bf16=11.1),
    "text_encoder": Weights(bf16=9.52, fp8=4.89, q8_0=5.06, q4_k=2.9),
    "vae": Weights(bf16=0.431),
}


T2V = register(
    VideoFamily(
        type="video",
        weights=WEIGHTS,
        label="CogVideoX",
        pipeline="CogVideoXPipeline",
        default_steps=50,  # CogVideoX's model card: 50 steps, guidance 6
        default_guidance=6.0,
        rules=RULES,
        pipe_args=_pipe_args,
        decode=_decode,
        facts_from_folder=_facts,
        preview=PREVIEW,
        legacy=True,
    )
)

I2V = register(
    VideoFamily(
        type="video-i2v",
        weights=WEIGHTS,
        label="CogVideoX I2V",
        pipeline="CogVideoXImageToVideoPipeline",
        default_steps=50,
        default_guidance=6.0,
        rules=replace(RULES, fixed_size=(720, 480)),
        text_to_video=False,
        i2v_pipeline="CogVideoXImageToVideoPipeline",
        max_references=1,
        references_doc="the first image is the first frame (resized and centre-cropped to 720x480)",
        pipe_args=_pipe_args,
        decode=_decode,
        facts_from_folder=_facts,
        preview=PREVIEW,
        legacy=True,
    )
)
