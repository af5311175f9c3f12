"""LTX-2: video with synchronised audio; 8k+1 frames, sizes in 32s; text- or image-to-video."""

from __future__ import annotations

from typing import Any

from hollywool.models.families.base import register
from hollywool.models.families.video import Decoded, LatentPreview, Rules, VideoFamily, postprocess
from hollywool.models.precision import Weights


def _call_args(params: Any, _rules: Rules, _images: list[Any]) -> dict[str, Any]:
    return {"frame_rate": float(params.fps)}


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
    # pipeline's own helper restores [B, C, F, H, W] from the latent grid's size.
    frames = (meta["num_frames"] - 1) // pipe.vae_temporal_compression_ratio + 1
    return pipe._unpack_latents(
        latents,
        frames,
        meta["height"] // pipe.vae_spatial_compression_ratio,
        meta["width"] // pipe.vae_spatial_compression_ratio,
        pipe.transformer_spatial_patch_size,
        pipe.transformer_temporal_patch_size,
    )


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


FAMILY = register(
    VideoFamily(
        type="ltx2",
        weights=WEIGHTS,
        label="LTX-2",
        pipeline="LTX2Pipeline",
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
    )
)
