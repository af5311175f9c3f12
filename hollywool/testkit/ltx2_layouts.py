"""LTX-2 / LTX-2.3 as the files users hold, from a tiny diffusers folder: one checkpoint in Lightricks' layout (as
ltx-2-19b-dev.safetensors and ltx-2.3-22b-dev.safetensors are published, and ComfyUI keeps them) and the Gemma 3
text encoder in ComfyUI's names (Comfy-Org's gemma_3_12B_it.safetensors).

The checkpoint holds, by prefix:
* `model.diffusion_model.`: the transformer in Lightricks' names (`patchify_proj`, `adaln_single`,
  `av_ca_video_scale_shift_adaln_single`, `scale_shift_table_a2v_ca_video`, `q_norm`, LTX-2.3's
  `prompt_adaln_single`) and the text connectors (`video_embeddings_connector.transformer_1d_blocks.N`,
  `text_embedding_projection.aggregate_embed` or, in LTX-2.3, `video_aggregate_embed` / `audio_aggregate_embed`);
  `projection_outside=True` puts the projection at the top level instead, as some files have it;
* `vae.`: the video VAE as one flat list per side: the encoder's `down_blocks` alternate residual stages and
  downsamplers and end with the middle stage; the decoder's `up_blocks` start with the middle stage, then an
  upsampler before each stage; `per_channel_statistics.*` for the latent statistics;
* `audio_vae.`: the audio VAE (diffusers' names) with its `per_channel_statistics.*`;
* `vocoder.`: HiFi-GAN names (`conv_pre`, `ups`, `resblocks`, `conv_post`; LTX-2.3's `act_post` and the
  activations' `downsample.lowpass`), LTX-2.3's nested as `vocoder.vocoder.` beside `vocoder.bwe_generator.`.

`write_ltx2_split_files` writes the same parts as separate files, as ComfyUI users hold them.

This is the mapping of hollywool/models/ltx2_original.py written the other way, independently.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

COMFY = "model.diffusion_model."

_TRANSFORMER_TOP = {
    "proj_in.": "patchify_proj.",
    "audio_proj_in.": "audio_patchify_proj.",
    "time_embed.": "adaln_single.",
    "audio_time_embed.": "audio_adaln_single.",
    "prompt_adaln.": "prompt_adaln_single.",
    "audio_prompt_adaln.": "audio_prompt_adaln_single.",
    "av_cross_attn_video_scale_shift.": "av_ca_video_scale_shift_adaln_single.",
    "av_cross_attn_video_a2v_gate.": "av_ca_a2v_gate_adaln_single.",
    "av_cross_attn_audio_scale_shift.": "av_ca_audio_scale_shift_adaln_single.",
    "av_cross_attn_audio_v2a_gate.": "av_ca_v2a_gate_adaln_single.",
}
_BLOCK_TABLES = {
    "video_a2v_cross_attn_scale_shift_table": "scale_shift_table_a2v_ca_video",
    "audio_a2v_cross_attn_scale_shift_table": "scale_shift_table_a2v_ca_audio",
}


def _component(folder: Path, name: str) -> dict[str, torch.Tensor]:
    return load_file(next((folder / name).glob("*.safetensors")))


def _config(folder: Path, name: str) -> dict:
    return json.loads((folder / name / "config.json").read_text())


def _norms(key: str) -> str:
    return key.replace(".norm_q.", ".q_norm.").replace(".norm_k.", ".k_norm.")


def transformer_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        top = next((k for k in _TRANSFORMER_TOP if key.startswith(k)), None)
        if top is not None:
            key = _TRANSFORMER_TOP[top] + key[len(top) :]
        parts = key.split(".")
        parts[-1] = _BLOCK_TABLES.get(parts[-1], parts[-1])
        out[_norms(".".join(parts))] = value
    return out


def connectors_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        for new, old in (
            ("video_text_proj_in.", "text_embedding_projection.video_aggregate_embed."),
            ("audio_text_proj_in.", "text_embedding_projection.audio_aggregate_embed."),
            ("text_proj_in.", "text_embedding_projection.aggregate_embed."),
            ("video_connector.", "video_embeddings_connector."),
            ("audio_connector.", "audio_embeddings_connector."),
        ):
            if key.startswith(new):
                key = old + key[len(new) :]
                break
        out[_norms(key.replace(".transformer_blocks.", ".transformer_1d_blocks."))] = value
    return out


def video_vae_to_original(state: dict[str, torch.Tensor], config: dict) -> dict[str, torch.Tensor]:
    """Every level of the tiny VAE has a resampler (`spatio_temporal_scaling` all true), as the real ones do."""
    levels = len(config["block_out_channels"])
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        key = key.replace(".resnets.", ".res_blocks.")
        if m := re.match(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.(.*)", key):
            key = f"encoder.down_blocks.{2 * int(m[1]) + 1}.{m[2]}"
        elif m := re.match(r"encoder\.down_blocks\.(\d+)\.(.*)", key):
            key = f"encoder.down_blocks.{2 * int(m[1])}.{m[2]}"
        elif key.startswith("encoder.mid_block."):
            key = f"encoder.down_blocks.{2 * levels}." + key.removeprefix("encoder.mid_block.")
        elif m := re.match(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.(.*)", key):
            key = f"decoder.up_blocks.{2 * int(m[1]) + 1}.{m[2]}"
        elif m := re.match(r"decoder\.up_blocks\.(\d+)\.(.*)", key):
            key = f"decoder.up_blocks.{2 * int(m[1]) + 2}.{m[2]}"
        elif key.startswith("decoder.mid_block."):
            key = "decoder.up_blocks.0." + key.removeprefix("decoder.mid_block.")
        elif key == "latents_mean":
            key = "per_channel_statistics.mean-of-means"
        elif key == "latents_std":
            key = "per_channel_statistics.std-of-means"
        out[key] = value
    # Lightricks' statistics module also keeps these two, which no diffusers model has.
    channels = out["per_channel_statistics.mean-of-means"].shape[0]
    out["per_channel_statistics.channel"] = torch.arange(channels, dtype=torch.float32)
    out["per_channel_statistics.mean-of-stds"] = torch.ones(channels)
    return out


def audio_vae_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    names = {
        "latents_mean": "per_channel_statistics.mean-of-means",
        "latents_std": "per_channel_statistics.std-of-means",
    }
    return {names.get(k, k): v for k, v in state.items()}


def vocoder_to_original(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        parts = key.split(".")
        names = {"upsamplers": "ups", "resnets": "resblocks", "conv_in": "conv_pre", "conv_out": "conv_post",
                 "act_out": "act_post"}  # fmt: skip
        parts = [names.get(p, p) for p in parts]
        key = ".".join(parts).replace(".downsample.filter", ".downsample.lowpass.filter")
        out[key] = value
    return out


def _original_parts(folder: Path, *, fp8: bool = False) -> dict[str, dict[str, torch.Tensor]]:
    """Each part of the tiny folder in Lightricks' names, without the checkpoint's prefixes."""
    transformer: dict[str, torch.Tensor] = {}
    for key, value in transformer_to_original(_component(folder, "transformer")).items():
        if fp8:
            value = value.to(torch.float8_e4m3fn if value.ndim == 2 and value.numel() > 64 else torch.bfloat16)
        transformer[key] = value
    return {
        "transformer": transformer,
        "connectors": connectors_to_original(_component(folder, "connectors")),
        "vae": video_vae_to_original(_component(folder, "vae"), _config(folder, "vae")),
        "audio_vae": audio_vae_to_original(_component(folder, "audio_vae")),
        "vocoder": vocoder_to_original(_component(folder, "vocoder")),
    }


def _save(tensors: dict[str, torch.Tensor], out_path: Path) -> Path:
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(out_path))
    return out_path


def write_ltx2_checkpoint(
    folder: str | Path, out_path: str | Path, *, projection_outside: bool = False, fp8: bool = False
) -> Path:
    """The tiny LTX-2 / LTX-2.3 folder's transformer, connectors, VAEs and vocoder as one Lightricks checkpoint.
    `fp8`: the transformer's matrices as float8_e4m3fn, its small and 1-D tensors bf16 (as ltx-2-19b-dev-fp8 keeps
    some layers in higher precision); the other parts as they are."""
    parts = _original_parts(Path(folder), fp8=fp8)
    out = {COMFY + k: v for k, v in parts["transformer"].items()}
    for key, value in parts["connectors"].items():
        inside = not (projection_outside and key.startswith("text_embedding_projection."))
        out[(COMFY if inside else "") + key] = value
    for part in ("vae", "audio_vae", "vocoder"):
        out.update({f"{part}.{k}": v for k, v in parts[part].items()})
    return _save(out, Path(out_path))


def write_ltx2_split_files(
    folder: str | Path,
    root: str | Path,
    name: str,
    *,
    gguf: str | None = None,
    projection_only: bool = False,
    fp8: bool = False,
) -> dict[str, Path]:
    """The tiny folder as ComfyUI users hold LTX-2 in separate files under `root` (a `models` folder), named after
    `name` ("ltx-2-19b-dev"): {"transformer", "vae", "audio_vae", "connectors"} -> path.

    * diffusion_models/: the transformer alone under `model.diffusion_model.` (Kijai's transformer-only files), or a
      GGUF of it without the prefix (`gguf`: the quantization, "Q8_0"), as city96's converter writes them;
    * vae/: the video VAE without `vae.` (ComfyUI's VAELoader reads it as is) and the audio VAE with the vocoder under
      `audio_vae.` and `vocoder.` (ComfyUI's LTXVAudioVAELoader keeps only those keys);
    * text_encoders/: the connectors as ComfyUI's LTXAVTextEncoderLoader reads them (the connector blocks under
      `model.diffusion_model.`, the Gemma projection at the top), or, `projection_only` (Kijai's LTX-2.3 split), the
      projection alone, the connector blocks then riding in the transformer's file.

    `fp8`: the transformer's matrices in float8_e4m3fn, as in write_ltx2_checkpoint."""
    parts = _original_parts(Path(folder), fp8=fp8)
    root = Path(root)
    blocks = {k: v for k, v in parts["connectors"].items() if not k.startswith("text_embedding_projection.")}
    projection = {k: v for k, v in parts["connectors"].items() if k.startswith("text_embedding_projection.")}
    transformer = {**parts["transformer"], **(blocks if projection_only else {})}
    if gguf:
        from hollywool.testkit.gguf_files import write_gguf

        model = write_gguf(transformer, root / "diffusion_models" / f"{name}-{gguf}.gguf", gguf, "ltxv")
    else:
        stored = "fp8" if fp8 else "bf16"
        model = _save({COMFY + k: v for k, v in transformer.items()},
                      root / "diffusion_models" / f"{name}_transformer_only_{stored}.safetensors")  # fmt: skip
    audio = {**{f"audio_vae.{k}": v for k, v in parts["audio_vae"].items()},
             **{f"vocoder.{k}": v for k, v in parts["vocoder"].items()}}  # fmt: skip
    connectors = projection if projection_only else {**projection, **{COMFY + k: v for k, v in blocks.items()}}
    kind = "text_projection" if projection_only else "embeddings_connector"
    return {
        "transformer": model,
        "vae": _save(parts["vae"], root / "vae" / f"{name}_video_vae.safetensors"),
        "audio_vae": _save(audio, root / "vae" / f"{name}_audio_vae.safetensors"),
        "connectors": _save(connectors, root / "text_encoders" / f"{name}_{kind}_bf16.safetensors"),
    }


def write_gemma_text_encoder(folder: str | Path, out_path: str | Path, *, tokenizer: bool = False) -> Path:
    """The tiny Gemma 3 in ComfyUI's names: `model.layers.N` for the language model, `vision_model.` and
    `multi_modal_projector.` at the top, no `lm_head` (tied to the embeddings). `tokenizer`: with the sentencepiece
    model inside as `spiece_model` (its bytes as uint8), as ComfyUI keeps it (the test kit's Gemma tokenizer, which
    the tiny folders' tokenizers are made from)."""
    out: dict[str, torch.Tensor] = {}
    if tokenizer:
        import tempfile

        from hollywool.testkit.tokenizers import write_gemma_tokenizer

        with tempfile.TemporaryDirectory() as tmp:
            data = (write_gemma_tokenizer(tmp) / "tokenizer.model").read_bytes()
        out["spiece_model"] = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    # transformers saves Gemma 3 as `language_model.model.`, `vision_tower.`, `multi_modal_projector.`.
    for key, value in _component(Path(folder), "text_encoder").items():
        if key.startswith("language_model.model."):
            out["model." + key.removeprefix("language_model.model.")] = value
        elif key.startswith("vision_tower."):
            out["vision_model." + key.removeprefix("vision_tower.")] = value
        elif key.startswith("multi_modal_projector."):
            out[key] = value
    return _save(out, Path(out_path))
