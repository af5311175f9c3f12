"""LTX-2 and LTX-2.3: video with synchronised audio; 8k+1 frames, sizes in 32s; text-, image- or keyframes-to-video.

LTX-2.3 (gated attention, per-modality text projections, a 48 kHz vocoder) is a variant of the same type,
told apart by its transformer config. diffusers' defaults follow LTX-2.3 (cross-modality timesteps, STG on
block 28); LTX-2.0 gets its own (no cross timesteps, STG on block 29). Keyframes go through
`LTX2ConditionPipeline`, which takes each image with a latent frame index: frame 0, or the first frame of a
later latent frame (1, 9, 17, ...).
"""

from __future__ import annotations

import re
from typing import Any

from hollywool.models.families.base import SingleFile, register
from hollywool.models.families.split import CheckpointPart, Sampling, SplitFiles, TextEncoderSlot
from hollywool.models.families.video import Decoded, Keyframes, LatentPreview, Rules, Variant, VideoFamily, postprocess
from hollywool.models.ltx2_original import (
    CONNECTOR_PREFIXES,
    is_ltx23,
    ltx2_audio_vae_to_diffusers,
    ltx2_connectors_to_diffusers,
    ltx2_transformer_to_diffusers,
    ltx2_vae_to_diffusers,
    ltx2_vocoder_to_diffusers,
)
from hollywool.models.precision import Weights


def _call_args(params: Any, _rules: Rules, _images: list[Any]) -> dict[str, Any]:
    # LTX-2.0's own guidance settings (diffusers' defaults are LTX-2.3's).
    return {"frame_rate": float(params.fps), "use_cross_timestep": False, "spatio_temporal_guidance_blocks": [29]}


def _call_args_23(params: Any, _rules: Rules, _images: list[Any]) -> dict[str, Any]:
    return {"frame_rate": float(params.fps)}


def _keyframe_slots(rules: Rules, num_frames: int) -> list[int]:
    return [0, *range(1, num_frames, rules.frame_step)]


def _latent_index(frame: int, rules: Rules) -> int:
    return 0 if frame == 0 else (frame - 1) // rules.frame_step + 1


def _keyframe_args(images: list[Any], frames: list[int], rules: Rules) -> dict[str, Any]:
    from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

    conditions = [
        LTX2VideoCondition(frames=image, index=_latent_index(frame, rules))
        for image, frame in zip(images, frames, strict=True)
    ]
    return {"conditions": conditions}


def _latents_of(out: Any) -> dict[str, Any]:
    # With output_type="latent" LTX-2 returns unpacked, denormalised video latents and audio latents.
    return {"video": out.frames, "audio": out.audio}


def _decode(pipe: Any, saved: dict[str, Any], meta: dict[str, Any], low_memory: bool) -> Decoded:
    import torch

    vae = pipe.vae
    latents = saved["video"].to(vae.device, vae.dtype)
    # Decode timestep 0 and no decode noise: the pipeline's defaults (the latents are already denormalised).
    timestep = torch.zeros(latents.shape[0], device=vae.device, dtype=latents.dtype)
    video = vae.decode(latents, timestep if vae.config.timestep_conditioning else None, return_dict=False)[0]
    frames = postprocess(pipe, video)
    audio, rate = None, None
    if saved.get("audio") is not None:
        audio_latents = saved["audio"].to(pipe.audio_vae.device, pipe.audio_vae.dtype)
        mel = pipe.audio_vae.decode(audio_latents, return_dict=False)[0]
        waveform = pipe.vocoder(mel.to(next(pipe.vocoder.parameters()).device))  # [B, channels, samples]
        audio = waveform[0].float().cpu().numpy()
        rate = int(pipe.vocoder.config.output_sampling_rate)
    return Decoded(frames, audio, rate)


def _unpack(pipe: Any, latents: Any, meta: dict[str, Any]) -> Any:
    # During sampling LTX-2 keeps its video latents packed into tokens [B, seq, C * patch]; the
    # pipeline's own helper restores [B, C, F, H, W] from the latent grid's size. Keyframes add their tokens
    # after the video's: they are left out.
    frames = (meta["num_frames"] - 1) // pipe.vae_temporal_compression_ratio + 1
    height = meta["height"] // pipe.vae_spatial_compression_ratio
    width = meta["width"] // pipe.vae_spatial_compression_ratio
    spatial, temporal = pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
    tokens = (frames // temporal) * (height // spatial) * (width // spatial)
    return pipe._unpack_latents(latents[:, :tokens], frames, height, width, spatial, temporal)


def _facts(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    vae = configs.get("vae", {})
    if not vae:
        return {}
    scaling = sum(bool(s) for s in vae.get("spatio_temporal_scaling", [True, True, True]))
    temporal = vae.get("temporal_compression_ratio") or int(vae.get("patch_size_t", 1)) * 2**scaling
    return {"frame_step": int(temporal)}


# Lightricks/LTX-2: a 19B transformer (bf16: 19B x 2 bytes; fp8: ltx-2-19b-dev-fp8.safetensors, 25.2, which
# keeps some layers in bf16) and google/gemma-3-12b-it as text encoder (12.2B x 2 bytes). The connectors,
# VAEs and vocoder are about 2 GB together (an estimate: the single file's size less the transformer's).
WEIGHTS = {
    "transformer": Weights(bf16=38.0, fp8=25.2),
    "text_encoder": Weights(bf16=24.4),
    "vae": Weights(bf16=2.0),
}


def _variant(configs: dict[str, dict[str, Any]]) -> str | None:
    transformer = configs.get("transformer", {})
    # LTX-2.3 moved the caption projection into the connectors and gates its attention.
    if transformer.get("gated_attn") or transformer.get("use_prompt_embeddings") is False:
        return "2.3"
    return None


def _file_variant(shapes: dict[str, list[int]]) -> str | None:
    return "2.3" if is_ltx23(shapes) else None


# Lightricks' checkpoints (ltx-2-19b-dev.safetensors, ltx-2.3-22b-dev.safetensors ...) and ComfyUI's: one file with the
# transformer, both VAEs, the text connectors and the vocoder (diffusers' single_file_utils tells LTX-2 by the
# audio-video cross-attention gate); the Gemma 3 text encoder is a file of its own.
SINGLE_FILE = SingleFile(
    markers=("model.diffusion_model.av_ca_a2v_gate_adaln_single.", "av_ca_a2v_gate_adaln_single."),
    variant=lambda shapes: ("ltx2.3", "LTX-2.3") if is_ltx23(shapes) else None,
)
# The distilled checkpoints (ltx-2-19b-distilled.safetensors, ltx-2.3-22b-distilled.safetensors, their fp8 and GGUF
# copies) have the dev ones' keys and configs: only the name tells them. They run 8 steps on their trained sigmas
# without guidance: DISTILLED_SIGMA_VALUES in diffusers.pipelines.ltx2.utils (from Lightricks/LTX-2's ltx-pipelines
# constants.py), guidance_scale=1.0 in diffusers' LTX-2 examples, "8 steps with CFG = 1" on the LTX-2.3 model card
# (as the catalogue's ltx-2.3-distilled entry has it); STG and modality guidance are off.
DISTILLED = Sampling(
    steps=8,
    guidance=1.0,
    call={
        "sigmas": [1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875],
        "stg_scale": 0.0,
        "modality_scale": 1.0,
        "audio_guidance_scale": 1.0,
        "audio_stg_scale": 0.0,
        "audio_modality_scale": 1.0,
    },
)


def _named_sampling(name: str) -> Sampling | None:
    return DISTILLED if "distill" in name and "lora" not in name else None


def _release(name: str) -> tuple[str, bool]:
    """(LTX version, distilled) as a file name says them: LTX23_audio_vae_bf16, ltx-2.3-22b-dev_video_vae,
    ltx-2-19b-embeddings_connector_distill_bf16."""
    name = name.lower()
    return ("2.3" if re.search(r"ltx-?2[._-]?3", name) else "2"), "distill" in name


# Such a file is assembled with ComfyUI's text encoder file (Comfy-Org/ltx-2's gemma_3_12B_it.safetensors, in
# ComfyUI's names: the language model as `model.layers.N`, the vision tower as `vision_model.`; google's own layout,
# `language_model.model.`, also fits). LTX-2 prompts with text only: the vision tower is not loaded. Shipped configs:
# Lightricks/LTX-2's (ltx2) and LTX-2.3's (ltx2.3), told apart by the file's gated attention.
SPLIT = SplitFiles(
    config="ltx2",
    model_class="LTX2VideoTransformer3DModel",
    text_encoders=(
        TextEncoderSlot(
            "text_encoder",
            "llm",
            "Gemma3ForConditionalGeneration",
            ("gemma_3_12B_it", "gemma_3_12b", "gemma3", "gemma"),
            renames=(
                (r"^(?:model\.)?(?:vision_tower|vision_model|multi_modal_projector)\..*", ""),  # dropped
                (r"^language_model\.lm_head\..*", ""),
                (r"^language_model\.model\.", "model.language_model."),
                (r"^model\.(?!language_model\.)", "model.language_model."),
            ),
            optional=("model.vision_tower.", "model.multi_modal_projector."),
        ),
    ),
    vae_class="AutoencoderKLLTX2Video",
    vae_channels=128,
    vae_names=("video_vae", "ltx2_video_vae", "ltx-2", "ltx2"),
    vae_example="LTX2_video_vae_bf16.safetensors",
    vae_markers=("decoder.up_blocks.0.res_blocks.0.conv1.conv.weight",),
    variant=lambda shapes: "ltx2.3" if is_ltx23(shapes) else None,
    convert=ltx2_transformer_to_diffusers,
    vae_convert=ltx2_vae_to_diffusers,
    # Each part comes from the whole checkpoint or from files of its own (ltx2_original.py lists the published ones).
    parts=(
        CheckpointPart(
            "connectors",
            "text connectors",
            CONNECTOR_PREFIXES,
            ltx2_connectors_to_diffusers,
            pieces=("text_embedding_projection.", "video_embeddings_connector.", "audio_embeddings_connector."),
            example="ltx-2-19b-embeddings_connector_dev_bf16.safetensors or, beside an LTX-2.3 transformer that "
            "carries the connectors, ltx-2.3_text_projection_bf16.safetensors",
            names=("connector", "text_projection", "proj"),
        ),
        CheckpointPart(
            "audio_vae",
            "audio VAE",
            ("audio_vae.",),
            ltx2_audio_vae_to_diffusers,
            pieces=("audio_vae.",),
            example="LTX2_audio_vae_bf16.safetensors",
            names=("audio_vae", "audio"),
        ),
        CheckpointPart(
            "vocoder",
            "vocoder",
            ("vocoder.",),
            ltx2_vocoder_to_diffusers,
            pieces=("vocoder.",),
            example="LTX2_audio_vae_bf16.safetensors (the audio VAE file holds it)",
            names=("audio_vae", "vocoder", "audio"),
        ),
    ),  # fmt: skip
    named_sampling=_named_sampling,
    same_release=lambda model, other: _release(model) == _release(other),
)

FAMILY = register(
    VideoFamily(
        type="ltx2",
        single_file=SINGLE_FILE,
        split_files=SPLIT,
        weights=WEIGHTS,
        label="LTX-2",
        pipeline="LTX2Pipeline",
        default_steps=40,  # LTX2Pipeline's defaults (the catalogue's ltx-2): 40 steps, guidance 4
        default_guidance=4.0,
        # Civitai's `baseModel` names for LTX-2 and 2.3 (civitai/civitai, basemodel.constants.ts).
        civitai_base_models=("LTXV2", "LTXV 2.3"),
        rules=Rules(
            frame_step=8,
            max_frames=257,
            default_frames=121,
            size_multiple=32,
            max_width=1920,
            max_height=1088,
            fps=24.0,
            default_size=(768, 512),
        ),
        i2v_pipeline="LTX2ImageToVideoPipeline",
        max_references=1,
        references_doc="the first image is the first frame; the audio follows the prompt",
        audio=True,
        call_args=_call_args,
        latents_of=_latents_of,
        decode=_decode,
        facts_from_folder=_facts,
        preview=LatentPreview(unpack=_unpack),  # LTX-2's VAE has no fitted projection yet
        keyframes=Keyframes(
            pipeline="LTX2ConditionPipeline",
            doc="keyframes sit on frame 0 or on the first frame of a later latent frame (1, 9, 17, ...)",
            slots=_keyframe_slots,
            call_args=_keyframe_args,
        ),
        # LTX-2.3's full model: 30 steps, guidance 3 (the catalogue's ltx-2.3); distilled files name their own.
        variants={
            "2.3": Variant(
                family={"label": "LTX-2.3", "call_args": _call_args_23, "default_steps": 30, "default_guidance": 3.0}
            )
        },  # fmt: skip
        variant_of=_variant,
        variant_of_file=_file_variant,
    )
)
