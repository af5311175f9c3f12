"""Tiny random-weight diffusers pipelines, built from configs and saved as ordinary model folders.

Each builder makes one family's pipeline with seeded random weights (the sub-model configs follow the
``get_dummy_components`` of diffusers' fast tests), with text encoders and tokenizers built locally instead
of fetched from the hub, and ``save_pretrained``s it into a folder. Tests then load that folder through
the user's path (``DiffusionPipeline.from_pretrained``), so they exercise real loading code without
gigabytes of weights or network access.

Outputs are deterministic for a given ``generator`` seed: the weights are seeded per component and the
pipelines run on the CPU in float32.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from hollywool.testkit import tiny_zqk
from hollywool.testkit.tiny_flux2 import build_chroma, build_flux2, build_flux2_klein
from hollywool.testkit.tiny_parts import (
    SEED,
    clip_text_model,
    clip_tokenizer,
    gemma_tokenizer,
    save,
    sd_vae,
    t5_encoder,
    t5_tokenizer,
)
from hollywool.testkit.tiny_video26 import (
    build_hunyuanvideo15,
    build_hunyuanvideo15_i2v,
    build_ltx23,
    build_wan_5b,
    ltx2_audio_vae,
)


def build_sd15(folder: str | Path) -> Path:
    """Stable Diffusion 1.5 layout: UNet (2 levels), 4-level VAE, CLIP text encoder, PNDM scheduler."""
    from diffusers import PNDMScheduler, StableDiffusionPipeline, UNet2DConditionModel

    tokenizer = clip_tokenizer()
    torch.manual_seed(SEED)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=2,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )
    scheduler = PNDMScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", skip_prk_steps=True, steps_offset=1
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=sd_vae(),
        text_encoder=clip_text_model(tokenizer, 32),
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    return save(pipe, folder)


def build_sdxl(folder: str | Path) -> Path:
    """SDXL layout: two CLIP encoders of different widths (32 and 64), text-time UNet, Euler scheduler."""
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    tokenizer = clip_tokenizer()
    tokenizer_2 = clip_tokenizer()
    text_encoder = clip_text_model(tokenizer, 32)
    text_encoder_2 = clip_text_model(tokenizer_2, 64, with_projection=True, projection_dim=32)
    torch.manual_seed(SEED)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        block_out_channels=(16, 32),
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=8,
        projection_class_embeddings_input_dim=6 * 8 + 32,  # six size/crop ids + pooled text_encoder_2
        cross_attention_dim=32 + 64,
        norm_num_groups=8,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
    )
    pipe = StableDiffusionXLPipeline(
        unet=unet,
        vae=sd_vae(),
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        scheduler=scheduler,
    )
    return save(pipe, folder)


def build_sd3(folder: str | Path) -> Path:
    """SD3 layout: MMDiT, two CLIP encoders with projection, T5, 16-channel 4-level VAE."""
    from diffusers import FlowMatchEulerDiscreteScheduler, SD3Transformer2DModel, StableDiffusion3Pipeline

    tokenizer, tokenizer_2, tokenizer_3 = clip_tokenizer(), clip_tokenizer(), t5_tokenizer()
    torch.manual_seed(SEED)
    transformer = SD3Transformer2DModel(
        sample_size=8,
        patch_size=1,
        in_channels=16,
        out_channels=16,
        num_layers=1,
        attention_head_dim=8,
        num_attention_heads=4,
        joint_attention_dim=64,  # T5 width; the two CLIP widths (32 + 32) are padded to it
        caption_projection_dim=32,
        pooled_projection_dim=64,  # CLIP projections 32 + 32
        pos_embed_max_size=32,
    )
    pipe = StableDiffusion3Pipeline(
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        vae=sd_vae(16, use_quant_conv=False, use_post_quant_conv=False, shift_factor=0.0609, scaling_factor=1.5035),
        text_encoder=clip_text_model(tokenizer, 32, with_projection=True),
        tokenizer=tokenizer,
        text_encoder_2=clip_text_model(tokenizer_2, 32, with_projection=True),
        tokenizer_2=tokenizer_2,
        text_encoder_3=t5_encoder(tokenizer_3, 64),
        tokenizer_3=tokenizer_3,
    )
    return save(pipe, folder)


def build_flux(folder: str | Path) -> Path:
    """FLUX.1 layout: double/single-stream transformer, CLIP (pooled) + T5, 16-channel VAE."""
    from diffusers import FlowMatchEulerDiscreteScheduler, FluxPipeline, FluxTransformer2DModel

    tokenizer, tokenizer_2 = clip_tokenizer(), t5_tokenizer()
    torch.manual_seed(SEED)
    transformer = FluxTransformer2DModel(
        patch_size=1,
        in_channels=64,  # 16 latent channels packed 2x2
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        pooled_projection_dim=32,
        axes_dims_rope=[4, 4, 8],
    )
    pipe = FluxPipeline(
        transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=sd_vae(16, use_quant_conv=False, use_post_quant_conv=False, shift_factor=0.1159, scaling_factor=0.3611),
        text_encoder=clip_text_model(tokenizer, 32),
        tokenizer=tokenizer,
        text_encoder_2=t5_encoder(tokenizer_2, 32),
        tokenizer_2=tokenizer_2,
    )
    return save(pipe, folder)


def build_flux_kontext(folder: str | Path) -> Path:
    """FLUX.1 Kontext: the tiny FLUX.1's components under FluxKontextPipeline (its model_index names it)."""
    from diffusers import FluxKontextPipeline, FluxPipeline

    with tempfile.TemporaryDirectory() as tmp:
        base = FluxPipeline.from_pretrained(build_flux(tmp))
        return save(FluxKontextPipeline(**base.components), folder)


def build_flux_fill(folder: str | Path) -> Path:
    """FLUX.1 Fill: the transformer reads latents, masked-image latents and the packed mask (64 + 64 + 256)."""
    from diffusers import FluxFillPipeline, FluxPipeline, FluxTransformer2DModel

    with tempfile.TemporaryDirectory() as tmp:
        base = FluxPipeline.from_pretrained(build_flux(tmp))
    torch.manual_seed(SEED)
    config = {k: v for k, v in base.transformer.config.items() if not k.startswith("_")}
    transformer = FluxTransformer2DModel.from_config({**config, "in_channels": 384, "out_channels": 64})
    parts = {k: v for k, v in base.components.items() if k not in ("image_encoder", "feature_extractor")}
    return save(FluxFillPipeline(**{**parts, "transformer": transformer}), folder)


# --------------------------------------------------------------------------- video families


def _cogvideox_vae():
    from diffusers import AutoencoderKLCogVideoX

    torch.manual_seed(SEED)
    return AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )


def build_cogvideox(folder: str | Path) -> Path:
    """CogVideoX text-to-video (2B-style: sincos positions, DDIM)."""
    from diffusers import CogVideoXDDIMScheduler, CogVideoXPipeline, CogVideoXTransformer3DModel

    tokenizer = t5_tokenizer()
    torch.manual_seed(SEED)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4,
        attention_head_dim=8,
        in_channels=4,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=2,
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
    )
    pipe = CogVideoXPipeline(
        tokenizer=tokenizer,
        text_encoder=t5_encoder(tokenizer, 32),
        vae=_cogvideox_vae(),
        transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )
    return save(pipe, folder)


def build_cogvideox_i2v(folder: str | Path) -> Path:
    """CogVideoX image-to-video (5B-I2V style: RoPE + learned positions, so one fixed size: 16x16)."""
    from diffusers import CogVideoXDDIMScheduler, CogVideoXImageToVideoPipeline, CogVideoXTransformer3DModel

    tokenizer = t5_tokenizer()
    torch.manual_seed(SEED)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2,
        attention_head_dim=16,
        in_channels=8,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=2,
        sample_height=2,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=16,
        use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True,
    )
    pipe = CogVideoXImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=t5_encoder(tokenizer, 32),
        vae=_cogvideox_vae(),
        transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )
    return save(pipe, folder)


def _wan_vae():
    from diffusers import AutoencoderKLWan

    torch.manual_seed(SEED)
    return AutoencoderKLWan(
        base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )


def _wan_transformer(in_channels: int):
    from diffusers import WanTransformer3DModel

    torch.manual_seed(SEED)
    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=in_channels,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )


def _wan_two_experts(pipeline_cls, in_channels: int, boundary_ratio: float, folder):
    from diffusers import UniPCMultistepScheduler

    tokenizer = t5_tokenizer()
    high_noise = _wan_transformer(in_channels)
    torch.manual_seed(SEED + 1)  # the second expert gets different weights
    low_noise = _wan_transformer(in_channels)
    pipe = pipeline_cls(
        tokenizer=tokenizer,
        text_encoder=t5_encoder(tokenizer, 32, umt5=True),
        vae=_wan_vae(),
        scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0),
        transformer=high_noise,
        transformer_2=low_noise,
        boundary_ratio=boundary_ratio,
    )
    return save(pipe, folder)


def build_wan(folder: str | Path) -> Path:
    """Wan 2.2 T2V (A14B form): high-noise ``transformer`` + low-noise ``transformer_2``, boundary 0.875."""
    from diffusers import WanPipeline

    return _wan_two_experts(WanPipeline, 16, 0.875, folder)


def build_wan_i2v(folder: str | Path) -> Path:
    """Wan 2.2 I2V (A14B form): two experts on 36 input channels, no CLIP image encoder, boundary 0.9."""
    from diffusers import WanImageToVideoPipeline

    return _wan_two_experts(WanImageToVideoPipeline, 36, 0.9, folder)


def build_mochi(folder: str | Path) -> Path:
    """Mochi 1: asymmetric DiT, 12-channel causal VAE, T5."""
    from diffusers import (
        AutoencoderKLMochi,
        FlowMatchEulerDiscreteScheduler,
        MochiPipeline,
        MochiTransformer3DModel,
    )

    tokenizer = t5_tokenizer()
    torch.manual_seed(SEED)
    transformer = MochiTransformer3DModel(
        patch_size=2,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=2,
        pooled_projection_dim=16,
        in_channels=12,
        out_channels=None,
        qk_norm="rms_norm",
        text_embed_dim=32,
        time_embed_dim=4,
        activation_fn="swiglu",
        max_sequence_length=16,
    )
    torch.manual_seed(SEED)
    vae = AutoencoderKLMochi(
        latent_channels=12,
        out_channels=3,
        encoder_block_out_channels=(32, 32, 32, 32),
        decoder_block_out_channels=(32, 32, 32, 32),
        layers_per_block=(1, 1, 1, 1, 1),
    )
    pipe = MochiPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=t5_encoder(tokenizer, 32),
        tokenizer=tokenizer,
        transformer=transformer,
    )
    return save(pipe, folder)


def build_svd(folder: str | Path) -> Path:
    """Stable Video Diffusion: spatio-temporal UNet, temporal-decoder VAE, CLIP vision encoder at 224px."""
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(SEED)
    unet = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=2,
        sample_size=32,
        in_channels=8,
        out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=32,
        num_attention_heads=8,
        projection_class_embeddings_input_dim=96,
        addition_time_embed_dim=32,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        interpolation_type="linear",
        num_train_timesteps=1000,
        prediction_type="v_prediction",
        sigma_max=700.0,
        sigma_min=0.002,
        steps_offset=1,
        timestep_spacing="leading",
        timestep_type="continuous",
        use_karras_sigmas=True,
    )
    torch.manual_seed(SEED)
    vae = AutoencoderKLTemporalDecoder(
        block_out_channels=[32, 32],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        latent_channels=4,
    )
    torch.manual_seed(SEED)
    # SVD resizes the conditioning image to 224x224 itself, so the vision tower must accept 224 (patch 32:
    # 49 tokens keeps it fast).
    image_encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            projection_dim=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=224,
            intermediate_size=37,
            patch_size=32,
        )
    )
    pipe = StableVideoDiffusionPipeline(
        vae=vae,
        image_encoder=image_encoder,
        unet=unet,
        scheduler=scheduler,
        feature_extractor=CLIPImageProcessor(crop_size=224, size=224),
    )
    return save(pipe, folder)


def build_ltx2(folder: str | Path) -> Path:
    """LTX-2: audio+video transformer, video VAE, audio VAE, vocoder, Gemma 3 encoder and text connectors."""
    from diffusers import (
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    tokenizer = gemma_tokenizer()
    gemma_width, gemma_layers = 32, 2
    config = Gemma3Config(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": gemma_width,
            "intermediate_size": 64,
            "num_hidden_layers": gemma_layers,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 16,
            "query_pre_attn_scalar": 16,
            "sliding_window": 64,
            "max_position_embeddings": 512,
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "bos_token_id": tokenizer.bos_token_id,
        },
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 8,
            "patch_size": 2,
        },
        mm_tokens_per_image=4,
        boi_token_index=tokenizer.bos_token_id,
        eoi_token_index=tokenizer.eos_token_id,
        image_token_index=tokenizer.unk_token_id,
    )
    torch.manual_seed(SEED)
    text_encoder = Gemma3ForConditionalGeneration(config).eval()

    torch.manual_seed(SEED)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=2,
        qk_norm="rms_norm_across_heads",
        caption_channels=gemma_width,
        rope_double_precision=False,
        rope_type="split",
    )
    torch.manual_seed(SEED)
    # The connectors' inner width (heads x head_dim) must equal the Gemma hidden size.
    connectors = LTX2TextConnectors(
        caption_channels=gemma_width,
        text_proj_in_factor=gemma_layers + 1,
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=gemma_width // 4,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=gemma_width // 4,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
        rope_type="split",
    )
    torch.manual_seed(SEED)
    vae = AutoencoderKLLTX2Video(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8,),
        decoder_block_out_channels=(8,),
        layers_per_block=(1,),
        decoder_layers_per_block=(1, 1),
        spatio_temporal_scaling=(True,),
        decoder_spatio_temporal_scaling=(True,),
        decoder_inject_noise=(False, False),
        downsample_type=("spatial",),
        upsample_residual=(False,),
        upsample_factor=(1,),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    audio_vae = ltx2_audio_vae()
    torch.manual_seed(SEED)
    vocoder = LTX2Vocoder(
        in_channels=audio_vae.config.output_channels * audio_vae.config.mel_bins,
        hidden_channels=32,
        out_channels=2,
        upsample_kernel_sizes=[4, 4],
        upsample_factors=[2, 2],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=16000,
    )
    pipe = LTX2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        audio_vae=audio_vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        connectors=connectors,
        transformer=transformer,
        vocoder=vocoder,
    )
    return save(pipe, folder)


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True)
class TinyFamily:
    """How to build and call one family's tiny pipeline (measured on the CPU with 2-step runs).

    ``call`` holds the smallest valid keyword arguments besides ``prompt``, ``image``, ``generator`` and
    ``num_inference_steps``; ``size_multiple`` is what height and width must be multiples of, and
    ``frames`` the valid frame counts' rule (video families only).
    """

    builder: Callable[[str | Path], Path]
    pipeline_class: str
    call: dict[str, Any]
    size_multiple: int
    takes_image: bool = False
    takes_prompt: bool = True
    frames: str = ""
    notes: str = ""
    model_type: str = ""  # the catalogue `type` (family id) a user's entry for this model has


FAMILIES: dict[str, TinyFamily] = {
    "sd15": TinyFamily(build_sd15, "StableDiffusionPipeline", {"height": 64, "width": 64}, 8, model_type="sd"),
    "sdxl": TinyFamily(build_sdxl, "StableDiffusionXLPipeline", {"height": 64, "width": 64}, 8, model_type="sdxl"),
    "sd3": TinyFamily(build_sd3, "StableDiffusion3Pipeline", {"height": 32, "width": 32}, 8, model_type="sd3"),
    "flux": TinyFamily(
        build_flux,
        "FluxPipeline",
        {"height": 32, "width": 32},
        16,
        notes="other sizes are silently rounded down to a multiple of 16",
        model_type="flux",
    ),
    "flux_kontext": TinyFamily(
        build_flux_kontext,
        "FluxKontextPipeline",
        {"height": 32, "width": 32, "max_area": 32 * 32, "_auto_resize": False},
        16,
        takes_image=True,
        notes="scales its output to `max_area` whatever height and width say",
        model_type="flux-kontext",
    ),
    "flux_fill": TinyFamily(
        build_flux_fill,
        "FluxFillPipeline",
        {"height": 32, "width": 32, "mask_image": Image.new("L", (32, 32), 255)},
        16,
        takes_image=True,
        model_type="flux-fill",
    ),
    "flux2": TinyFamily(build_flux2, "Flux2Pipeline", {"height": 64, "width": 64}, 16, model_type="flux2"),
    "flux2_klein": TinyFamily(
        build_flux2_klein, "Flux2KleinPipeline", {"height": 64, "width": 64}, 16, model_type="flux2-klein"
    ),
    "chroma": TinyFamily(build_chroma, "ChromaPipeline", {"height": 64, "width": 64}, 16, model_type="chroma"),
    "zimage": TinyFamily(tiny_zqk.build_zimage, "ZImagePipeline", {"height": 32, "width": 32}, 16, model_type="zimage"),
    "qwen_image": TinyFamily(
        tiny_zqk.build_qwen_image, "QwenImagePipeline", {"height": 32, "width": 32}, 16, model_type="qwen-image"
    ),
    "qwen_image_edit": TinyFamily(
        tiny_zqk.build_qwen_image_edit,
        "QwenImageEditPlusPipeline",
        {"height": 32, "width": 32},
        32,
        takes_image=True,
        notes="encodes every reference at about 1024x1024 (fixed in diffusers): ~0.6 s a reference",
        model_type="qwen-image-edit",
    ),
    "qwen_image_21": TinyFamily(
        tiny_zqk.build_qwen_image_21,
        "QwenImage21Pipeline",
        {"height": 32, "width": 32},
        32,
        notes="reference images (optional) are encoded at about 1024x1024 (`output_resolution`) whatever the size",
        model_type="qwen-image-2.1",
    ),
    "krea2": TinyFamily(
        tiny_zqk.build_krea2,
        "Krea2Pipeline",
        {"height": 32, "width": 32, "max_sequence_length": 16},
        16,
        model_type="krea2",
    ),
    "cogvideox": TinyFamily(
        build_cogvideox,
        "CogVideoXPipeline",
        {"height": 16, "width": 16, "num_frames": 9, "max_sequence_length": 16},
        16,
        frames="4k+1 exact; other counts decode to surprising lengths (5->8, 13->16)",
        model_type="video",
    ),
    "cogvideox_i2v": TinyFamily(
        build_cogvideox_i2v,
        "CogVideoXImageToVideoPipeline",
        {"height": 16, "width": 16, "num_frames": 9, "max_sequence_length": 16},
        16,
        takes_image=True,
        frames="4k+1",
        notes="learned positions: 16x16 only, like the real model's fixed 480x720",
        model_type="video-i2v",
    ),
    "ltx2": TinyFamily(
        build_ltx2,
        "LTX2Pipeline",
        {"height": 32, "width": 32, "num_frames": 9, "frame_rate": 25.0, "max_sequence_length": 16},
        32,
        frames="2k+1 (odd) for the tiny VAE; real LTX-2 is 8k+1",
        notes="returns .frames and .audio (tensor [batch, 2, samples] at 16 kHz)",
        model_type="ltx2",
    ),
    "wan": TinyFamily(
        build_wan,
        "WanPipeline",
        {"height": 16, "width": 16, "num_frames": 9, "max_sequence_length": 16},
        16,
        frames="4k+1 (others are rounded with a warning)",
        notes="frames are numpy by default",
        model_type="wan",
    ),
    "wan_i2v": TinyFamily(
        build_wan_i2v,
        "WanImageToVideoPipeline",
        {"height": 16, "width": 16, "num_frames": 9, "max_sequence_length": 16},
        16,
        takes_image=True,
        frames="4k+1",
        notes="frames are numpy by default",
        model_type="wan-i2v",
    ),
    "wan_5b": TinyFamily(
        build_wan_5b,
        "WanPipeline",
        {"height": 32, "width": 32, "num_frames": 9, "max_sequence_length": 16},
        32,
        frames="4k+1",
        notes="Wan 2.2 TI2V-5B form: one 48-channel expert; image-to-video from the same folder",
        model_type="wan",
    ),
    "ltx23": TinyFamily(
        build_ltx23,
        "LTX2Pipeline",
        {"height": 64, "width": 64, "num_frames": 17, "frame_rate": 24.0, "max_sequence_length": 16},
        32,
        frames="8k+1 (the real VAE compression)",
        notes="LTX-2.3 form; audio at 48 kHz (bandwidth extension); keyframes via LTX2ConditionPipeline",
        model_type="ltx2",
    ),
    "hunyuanvideo15": TinyFamily(
        build_hunyuanvideo15,
        "HunyuanVideo15Pipeline",
        {"height": 32, "width": 32, "num_frames": 9},
        16,
        frames="4k+1",
        notes="text-to-video; image-to-video is another checkpoint (hunyuanvideo15_i2v)",
        model_type="hunyuanvideo15",
    ),
    "hunyuanvideo15_i2v": TinyFamily(
        build_hunyuanvideo15_i2v,
        "HunyuanVideo15ImageToVideoPipeline",
        {"num_frames": 9},
        16,
        takes_image=True,
        frames="4k+1",
        notes="takes no height or width: the aspect bucket (about 32x32 pixels here) nearest the image's",
        model_type="hunyuanvideo15",
    ),
    "mochi": TinyFamily(
        build_mochi,
        "MochiPipeline",
        {"height": 16, "width": 16, "num_frames": 7, "max_sequence_length": 16},
        16,
        frames="6k+1 (others are rounded down)",
        model_type="mochi",
    ),
    "svd": TinyFamily(
        build_svd,
        "StableVideoDiffusionPipeline",
        {"height": 32, "width": 32, "num_frames": 2, "decode_chunk_size": 2},
        8,
        takes_image=True,
        takes_prompt=False,
        frames="any",
        model_type="svd",
    ),
}

FAMILY_BUILDERS: dict[str, Callable[[str | Path], Path]] = {name: f.builder for name, f in FAMILIES.items()}


# Bump when a builder changes, so folders kept between runs (HOLLYWOOL_TEST_MODELS) are rebuilt.
TESTKIT_VERSION = "2"
_STAMP = ".testkit-version"


def build_family(name: str, root: str | Path) -> Path:
    """Build family ``name`` into ``root/name`` unless a current build is already there.

    The build goes to a temporary sibling folder that is renamed into place, so an interrupted or
    concurrent build never leaves a half-written folder that looks complete.
    """
    folder = Path(root) / name
    stamp = folder / _STAMP
    if (folder / "model_index.json").is_file() and stamp.is_file() and stamp.read_text() == TESTKIT_VERSION:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder.parent))
    try:
        FAMILIES[name].builder(staging)
        (staging / _STAMP).write_text(TESTKIT_VERSION)
        staging.chmod(0o755)  # mkdtemp makes it private; the folder is an ordinary model folder
        if folder.exists():
            shutil.rmtree(folder)  # stale build from an older kit version
        os.replace(staging, folder)
    except OSError:
        if not (folder / "model_index.json").is_file():  # lost a race against another builder: fine
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def build_all(root: str | Path, names: list[str] | None = None) -> dict[str, Path]:
    """Build every family (or ``names``) once under ``root``; returns ``{name: folder}``."""
    return {name: build_family(name, root) for name in (names or FAMILIES)}


def folder_size(folder: str | Path) -> int:
    """Total bytes of the files under ``folder``."""
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


if __name__ == "__main__":  # python -m hollywool.testkit.tiny_models ROOT: build all and print sizes
    import sys

    root = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="hollywool-tiny-"))
    for family in FAMILIES:
        start = time.perf_counter()
        path = build_family(family, root)
        print(f"{family:14s} {time.perf_counter() - start:6.2f}s {folder_size(path) / 1e6:6.2f} MB  {path}")
