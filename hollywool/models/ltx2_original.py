"""LTX-2 and LTX-2.3 single files (Lightricks' ltx-2-19b-dev.safetensors, ltx-2.3-22b-dev.safetensors, ComfyUI's
copies) mapped to diffusers' components.

One file holds five parts, each under its own prefix:

* the transformer under `model.diffusion_model.`, in Lightricks' names (`patchify_proj`, `adaln_single`,
  `av_ca_a2v_gate_adaln_single`, `q_norm`; LTX-2.3 adds `prompt_adaln_single`): diffusers' own single-file
  conversion, plus the LTX-2.3 names it does not know;
* the text connectors beside it (`video_embeddings_connector.transformer_1d_blocks.N`, the Gemma feature projection
  `text_embedding_projection.aggregate_embed`, per modality in LTX-2.3: `video_aggregate_embed`,
  `audio_aggregate_embed`), which diffusers 0.42.1 does not convert;
* the video VAE under `vae.` (a flat `down_blocks` / `up_blocks` list of residual stages and resamplers), mapped to
  diffusers' blocks from the VAE's config (diffusers' conversion hard-codes LTX-2.0's three decoder levels);
* the audio VAE under `audio_vae.`: diffusers' conversion;
* the vocoder under `vocoder.` (HiFi-GAN names: `conv_pre`, `ups`, `resblocks`; LTX-2.3's BigVGAN with bandwidth
  extension nests it as `vocoder.vocoder.` beside `vocoder.bwe_generator.` and `vocoder.mel_stft.`), which diffusers
  0.42.1 does not convert.

Each converter only renames and drops: fp8 tensors stay fp8.

ComfyUI users also hold these parts as separate files (sources in brackets; what could not be found is accepted both
ways, as each converter reads a part with or without its prefix):

* the transformer alone in `diffusion_models/`: Kijai's `ltx-2.3-22b-dev_transformer_only_fp8_input_scaled.safetensors`,
  GGUF quantizations (unsloth/LTX-2-GGUF `ltx-2-19b-dev-Q6_K.gguf`, QuantStack/LTX-2.3-GGUF). GGUF converters drop
  `model.diffusion_model.` (diffusers PR #10298 accounts for LTX GGUFs without it); the safetensors ones are read with
  or without it. LTX-2.3's transformer-only files keep the connector blocks (Lightricks/ComfyUI-LTXVideo PR #431: "the
  connector and projection weights are embedded in the same GGUF file as the diffusion model", the projection in a file
  beside it);
* the video VAE in `vae/` (Kijai/LTXV2_comfy `VAE/LTX2_video_vae_bf16.safetensors`, unsloth's
  `vae/ltx-2.3-22b-dev_video_vae.safetensors`): ComfyUI's VAELoader passes the file as is to `comfy.sd.VAE`, which tells
  LTX's VAE by `decoder.up_blocks.0.res_blocks.0.conv1.conv.weight`, so these files drop `vae.`;
* the audio VAE with the vocoder in `vae/` (`LTX2_audio_vae_bf16.safetensors`, `LTX23_audio_vae_bf16.safetensors`,
  `ltx-2.3-22b-dev_audio_vae.safetensors`): ComfyUI's LTXVAudioVAELoader keeps only the keys under `audio_vae.` and
  `vocoder.` (comfy_extras/nodes_lt_audio.py, `filter_keys=True`), so these files keep both prefixes;
* the text connectors in `text_encoders/`, loaded beside Gemma by LTXAVTextEncoderLoader or DualCLIPLoader (type ltxv):
  Kijai's `ltx-2-19b-embeddings_connector_dev_bf16.safetensors` / `..._distill_bf16` (LTX-2; the dev and distilled
  ones differ, city96/ComfyUI-GGUF PR #402), unsloth's `ltx-2.3-22b-dev_embeddings_connectors.safetensors`, and for
  LTX-2.3 Kijai's `ltx-2.3_text_projection_bf16.safetensors` (the projection alone). ComfyUI's `LTXAVTEModel.load_sd`
  (comfy/text_encoders/lt.py) maps `model.diffusion_model.video_embeddings_connector.` and a top-level
  `text_embedding_projection.aggregate_embed.weight`, falling back to the names without `model.diffusion_model.`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hollywool.models.comfy_layouts import COMFY_PREFIX

# The connectors' keys, inside or (the Gemma feature projection of some files) outside the diffusion model's prefix.
CONNECTOR_KEYS = ("video_embeddings_connector.", "audio_embeddings_connector.", "text_embedding_projection.")
CONNECTOR_PREFIXES = (*(COMFY_PREFIX + k for k in CONNECTOR_KEYS), *CONNECTOR_KEYS)

_CONNECTOR_RENAMES = (
    (r"^video_embeddings_connector\.", "video_connector."),
    (r"^audio_embeddings_connector\.", "audio_connector."),
    (r"\.transformer_1d_blocks\.", ".transformer_blocks."),
    (r"\.q_norm\.", ".norm_q."),
    (r"\.k_norm\.", ".norm_k."),
    (r"^text_embedding_projection\.aggregate_embed\.", "text_proj_in."),
    (r"^text_embedding_projection\.(video|audio)_aggregate_embed\.", r"\1_text_proj_in."),
    # ComfyUI's own module name for LTX-2.0's projection (`LTXAVTEModel.text_embedding_projection`, a bare Linear),
    # as a file saved from ComfyUI would have it.
    (r"^text_embedding_projection\.(weight|bias)$", r"text_proj_in.\1"),
)
_VAE_NAMES = (
    (r"\.res_blocks\.", ".resnets."),
    (r"^per_channel_statistics\.mean-of-means$", "latents_mean"),
    (r"^per_channel_statistics\.std-of-means$", "latents_std"),
    (r"^decoder\.last_time_embedder\.", "decoder.time_embedder."),  # the decoder's timestep conditioning
    (r"^decoder\.last_scale_shift_table$", "decoder.scale_shift_table"),
)
_VOCODER_RENAMES = (
    (r"(^|\.)ups\.", r"\1upsamplers."),  # not `upsample.` (the anti-aliasing filters of LTX-2.3's activations)
    (r"(^|\.)resblocks\.", r"\1resnets."),
    (r"(^|\.)conv_pre\.", r"\1conv_in."),
    (r"(^|\.)conv_post\.", r"\1conv_out."),
    (r"(^|\.)act_post\.", r"\1act_out."),
    (r"\.downsample\.lowpass\.", ".downsample."),
)


def _renamed(name: str, renames: tuple[tuple[str, str], ...]) -> str:
    for pattern, replacement in renames:
        name = re.sub(pattern, replacement, name)
    return name


def _part(checkpoint: dict[str, Any], prefix: str) -> dict[str, Any]:
    """The tensors under `prefix` without it; a file of that part alone (no prefix) as it is."""
    if any(k.startswith(prefix) for k in checkpoint):
        return {k.removeprefix(prefix): v for k, v in checkpoint.items() if k.startswith(prefix)}
    return dict(checkpoint)


def is_connector_key(name: str) -> bool:
    return name.removeprefix(COMFY_PREFIX).startswith(CONNECTOR_KEYS)


def ltx2_transformer_to_diffusers(checkpoint: dict[str, Any], _config: Mapping[str, Any]) -> dict[str, Any]:
    from diffusers.loaders import single_file_utils

    state = {k.removeprefix(COMFY_PREFIX): v for k, v in checkpoint.items() if not is_connector_key(k)}
    convert: Any = single_file_utils.convert_ltx2_transformer_to_diffusers  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]  # untyped
    converted: dict[str, Any] = convert(state)
    # LTX-2.3's prompt modulation (`prompt_adaln_single`, `audio_prompt_adaln_single`): diffusers' `prompt_adaln`.
    return {re.sub(r"^(audio_)?prompt_adaln_single\.", r"\1prompt_adaln.", k): v for k, v in converted.items()}


def ltx2_connectors_to_diffusers(checkpoint: dict[str, Any], _config: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in checkpoint.items():
        name = key.removeprefix(COMFY_PREFIX)
        if name.startswith(CONNECTOR_KEYS):
            out[_renamed(name, _CONNECTOR_RENAMES)] = value
    return out


def _vae_stages(config: Mapping[str, Any]) -> dict[str, str]:
    """Lightricks' flat stage lists -> diffusers' blocks, from the VAE's config: the encoder's `down_blocks` are each
    level's residual stage then its downsampler (levels that scale), then the middle stage; the decoder's `up_blocks`
    the middle stage, then each level's upsampler (levels that scale) and residual stage. (diffusers' own conversion
    fixes these indices for LTX-2.0's shape: three decoder levels, every level scaling; LTX-2.3 has four.)"""
    stages: dict[str, str] = {}
    scaling = list(config.get("spatio_temporal_scaling") or [])
    index = 0
    for level, scales in enumerate(scaling):
        stages[f"encoder.down_blocks.{index}."] = f"encoder.down_blocks.{level}."
        index += 1
        if scales:
            stages[f"encoder.down_blocks.{index}."] = f"encoder.down_blocks.{level}.downsamplers.0."
            index += 1
    stages[f"encoder.down_blocks.{index}."] = "encoder.mid_block."
    stages["decoder.up_blocks.0."] = "decoder.mid_block."
    index = 1
    for level, scales in enumerate(config.get("decoder_spatio_temporal_scaling") or []):
        if scales:
            stages[f"decoder.up_blocks.{index}."] = f"decoder.up_blocks.{level}.upsamplers.0."
            index += 1
        stages[f"decoder.up_blocks.{index}."] = f"decoder.up_blocks.{level}."
        index += 1
    return stages


def ltx2_vae_to_diffusers(checkpoint: dict[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    stages = _vae_stages(config)
    out: dict[str, Any] = {}
    for key, value in _part(checkpoint, "vae.").items():
        if key in ("per_channel_statistics.channel", "per_channel_statistics.mean-of-stds"):
            continue  # kept by Lightricks' statistics module, used by no diffusers model
        stage = re.match(r"^(?:encoder\.down|decoder\.up)_blocks\.\d+\.", key)
        if stage and stage[0] in stages:
            key = stages[stage[0]] + key[stage.end() :]
        out[_renamed(key, _VAE_NAMES)] = value
    return out


def ltx2_audio_vae_to_diffusers(checkpoint: dict[str, Any], _config: Mapping[str, Any]) -> dict[str, Any]:
    from diffusers.loaders import single_file_utils

    convert: Any = single_file_utils.convert_ltx2_audio_vae_to_diffusers  # pyright: ignore[reportUnknownMemberType, reportUnknownVariableType]  # untyped
    converted: dict[str, Any] = convert(_part(checkpoint, "audio_vae."))
    return converted


def ltx2_vocoder_to_diffusers(checkpoint: dict[str, Any], _config: Mapping[str, Any]) -> dict[str, Any]:
    return {_renamed(k, _VOCODER_RENAMES): v for k, v in _part(checkpoint, "vocoder.").items()}


def is_ltx23(shapes: Mapping[str, list[int]]) -> bool:
    """LTX-2.3's file: gated attention (`to_gate_logits`) and the prompt modulation LTX-2.0 does not have."""
    return any(
        ".to_gate_logits." in k or k.removeprefix(COMFY_PREFIX).startswith("prompt_adaln_single.") for k in shapes
    )
