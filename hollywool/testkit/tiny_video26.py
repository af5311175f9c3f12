"""Tiny random-weight pipelines of the 2026 video families: Wan 2.2 TI2V-5B, LTX-2.3 and HunyuanVideo 1.5.

Same approach as ``tiny_models`` (whose helpers these builders reuse): sub-model configs shrunk from
diffusers' fast tests, text encoders and tokenizers built locally, ``save_pretrained`` into a folder that
tests load through the user's path. Each keeps the real model's compression factors where they decide
the frame and size rules the studio enforces (Wan 5B: 16x spatial, 4x temporal; LTX-2.3: 32x and 8x),
so a request valid for the tiny model is shaped like one for the real model.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch

from hollywool.testkit.tiny_parts import SEED, gemma_tokenizer, save, t5_encoder, t5_tokenizer

# --------------------------------------------------------------------------- Wan 2.2 TI2V-5B


def build_wan_5b(folder: str | Path) -> Path:
    """Wan 2.2 TI2V-5B: one 48-channel transformer, the 48-channel residual VAE with 2x2 patches (16x spatial),
    ``expand_timesteps``: text-to-video as ``WanPipeline``, image-to-video from the same folder."""
    from diffusers import AutoencoderKLWan, UniPCMultistepScheduler, WanPipeline, WanTransformer3DModel

    tokenizer = t5_tokenizer()
    torch.manual_seed(SEED)
    vae = AutoencoderKLWan(
        base_dim=3,
        z_dim=48,
        in_channels=12,
        out_channels=12,
        is_residual=True,
        patch_size=2,
        latents_mean=[0.0] * 48,
        latents_std=[1.0] * 48,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        scale_factor_spatial=16,
        scale_factor_temporal=4,
        temperal_downsample=[False, True, True],
    )
    torch.manual_seed(SEED)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=48,
        out_channels=48,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    pipe = WanPipeline(
        tokenizer=tokenizer,
        text_encoder=t5_encoder(tokenizer, 32, umt5=True),
        vae=vae,
        scheduler=UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=5.0),
        transformer=transformer,
        transformer_2=None,
        boundary_ratio=None,
        expand_timesteps=True,
    )
    return save(pipe, folder)


# --------------------------------------------------------------------------- LTX-2.3


def ltx2_audio_vae() -> Any:
    """The tiny LTX-2 audio VAE (16 kHz, 8 mel bins) that LTX-2 and LTX-2.3 share."""
    from diffusers import AutoencoderKLLTX2Audio

    torch.manual_seed(SEED)
    return AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )


def _ltx23_gemma(tokenizer: Any, width: int, layers: int) -> Any:
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    config = Gemma3Config(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": width,
            "intermediate_size": 2 * width,
            "num_hidden_layers": layers,
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
    return Gemma3ForConditionalGeneration(config).eval()


def build_ltx23(folder: str | Path) -> Path:
    """LTX-2.3: gated attention and cross-attention modulation in the transformer, per-modality text projections
    in the connectors, a 32x spatial / 8x temporal video VAE (the real compression: sizes in 32s, 8k+1 frames) and
    a vocoder with bandwidth extension (16 kHz -> 48 kHz)."""
    from diffusers import (
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2VocoderWithBWE

    tokenizer = gemma_tokenizer()
    gemma_width, gemma_layers = 32, 2
    text_encoder = _ltx23_gemma(tokenizer, gemma_width, gemma_layers)
    video_width, audio_width = 16, 8  # the transformer's inner widths: heads x head dim
    torch.manual_seed(SEED)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        num_attention_heads=2,
        attention_head_dim=video_width // 2,
        cross_attention_dim=video_width,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=audio_width // 2,
        audio_cross_attention_dim=audio_width,
        num_layers=2,
        caption_channels=gemma_width,
        gated_attn=True,
        cross_attn_mod=True,
        audio_gated_attn=True,
        audio_cross_attn_mod=True,
        use_prompt_embeddings=False,
        perturbed_attn=True,
        rope_double_precision=False,
        rope_type="split",
    )
    torch.manual_seed(SEED)
    connectors = LTX2TextConnectors(
        caption_channels=gemma_width,
        text_proj_in_factor=gemma_layers + 1,
        video_connector_num_attention_heads=2,
        video_connector_attention_head_dim=video_width // 2,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        video_gated_attn=True,
        audio_connector_num_attention_heads=2,
        audio_connector_attention_head_dim=audio_width // 2,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        audio_gated_attn=True,
        connector_rope_base_seq_len=32,
        rope_double_precision=False,
        rope_type="split",
        per_modality_projections=True,
        video_hidden_dim=video_width,
        audio_hidden_dim=audio_width,
    )
    torch.manual_seed(SEED)
    vae = AutoencoderKLLTX2Video(
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 16, 16, 32),  # the real ratios: its upsamplers trade channels for size
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, True, True),
        decoder_spatio_temporal_scaling=(True, True, True, True),
        decoder_inject_noise=(False, False, False, False, False),
        downsample_type=("spatial", "temporal", "spatiotemporal", "spatiotemporal"),
        upsample_type=("spatiotemporal", "spatiotemporal", "temporal", "spatial"),
        upsample_residual=(False, False, False, False),
        upsample_factor=(2, 2, 1, 2),
        patch_size=4,
        decoder_causal=False,
        decoder_spatial_padding_mode="zeros",
        spatial_compression_ratio=32,
        temporal_compression_ratio=8,
    )
    audio_vae = ltx2_audio_vae()
    torch.manual_seed(SEED)
    # Stage one makes 16 kHz audio; the bandwidth extender adds a residual at 48 kHz from the mel spectrogram of
    # stage one's output (hop 4): its upsampling (3 x 2 x 2) must be hop x 3 so both paths have the same length.
    vocoder = LTX2VocoderWithBWE(
        in_channels=audio_vae.config.output_channels * audio_vae.config.mel_bins,
        hidden_channels=16,
        out_channels=2,
        upsample_kernel_sizes=[4, 4],
        upsample_factors=[2, 2],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        bwe_in_channels=2 * 8,
        bwe_hidden_channels=16,
        bwe_out_channels=2,
        bwe_upsample_kernel_sizes=[5, 4, 4],  # kernel = factor + 2: exactly `factor` samples out per sample in
        bwe_upsample_factors=[3, 2, 2],
        bwe_resnet_kernel_sizes=[3],
        bwe_resnet_dilations=[[1, 3, 5]],
        filter_length=16,
        hop_length=4,
        window_length=16,
        num_mel_channels=8,
        input_sampling_rate=16000,
        output_sampling_rate=48000,
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


# --------------------------------------------------------------------------- HunyuanVideo 1.5

# The pipelines' system prompt opens every chat; HunyuanVideo 1.5 then drops its first 108 tokens (the real
# tokenizer's length of that opening). A byte-level tokenizer without merges makes the opening much longer than
# 108 tokens, so the cut always falls inside the system prompt and the user's prompt is never cut away (an
# all-padding text would mask every text token).
_QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
_QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


def write_qwen_tokenizer(folder: str | Path) -> Path:
    """A byte-level BPE tokenizer with Qwen's special tokens and chat format, saved as a Qwen2 tokenizer folder."""
    from transformers import Qwen2Tokenizer

    from hollywool.models.bpe import bytes_to_unicode

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {char: i for i, char in enumerate(bytes_to_unicode().values())}
    for special in _QWEN_SPECIALS:
        vocab[special] = len(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    tokenizer = Qwen2Tokenizer.from_pretrained(folder, pad_token="<|endoftext|>", eos_token="<|im_end|>")
    tokenizer.chat_template = _QWEN_CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)
    return folder


def _qwen_tokenizer() -> Any:
    from transformers import Qwen2Tokenizer

    with tempfile.TemporaryDirectory() as tmp:
        return Qwen2Tokenizer.from_pretrained(write_qwen_tokenizer(tmp))


_HUNYUAN_IMAGE_WIDTH = 12


def _hunyuanvideo15_parts(task: str) -> dict[str, Any]:
    """The components both HunyuanVideo 1.5 pipelines share, for a transformer trained for `task` ("t2v", "i2v")."""
    from diffusers import AutoencoderKLHunyuanVideo15, FlowMatchEulerDiscreteScheduler, HunyuanVideo15Transformer3DModel
    from diffusers.guiders import ClassifierFreeGuidance
    from transformers import ByT5Tokenizer, Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel, T5Config, T5EncoderModel

    tokenizer = _qwen_tokenizer()
    text_width, glyph_width = 16, 32
    torch.manual_seed(SEED)
    text_encoder = Qwen2_5_VLTextModel(
        Qwen2_5_VLTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=text_width,
            intermediate_size=2 * text_width,
            num_hidden_layers=3,  # the pipeline reads the third hidden state from the end
            num_attention_heads=2,
            num_key_value_heads=2,
            rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
            max_position_embeddings=2048,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    ).eval()
    tokenizer_2 = ByT5Tokenizer()  # byte-level: no files
    torch.manual_seed(SEED)
    text_encoder_2 = T5EncoderModel(
        T5Config(
            vocab_size=len(tokenizer_2),
            d_model=glyph_width,
            d_ff=2 * glyph_width,
            d_kv=8,
            num_layers=1,
            num_heads=2,
            relative_attention_num_buckets=8,
            pad_token_id=tokenizer_2.pad_token_id,
            eos_token_id=tokenizer_2.eos_token_id,
            decoder_start_token_id=tokenizer_2.pad_token_id,
        )
    ).eval()
    latent_channels = 4
    torch.manual_seed(SEED)
    vae = AutoencoderKLHunyuanVideo15(
        latent_channels=latent_channels,
        block_out_channels=(8, 8, 8, 8, 8),
        layers_per_block=1,
        spatial_compression_ratio=16,
        temporal_compression_ratio=4,
        downsample_match_channel=False,
        upsample_match_channel=False,
    )
    torch.manual_seed(SEED)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=2 * latent_channels + 1,  # noisy latents, the first frame's latents and its mask
        out_channels=latent_channels,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=1,
        num_refiner_layers=1,
        mlp_ratio=2.0,
        patch_size=1,
        patch_size_t=1,
        text_embed_dim=text_width,
        text_embed_2_dim=glyph_width,
        image_embed_dim=_HUNYUAN_IMAGE_WIDTH,
        rope_axes_dim=(2, 2, 4),
        target_size=32,  # image-to-video picks its size from buckets of about 32 x 32 pixels
        task_type=task,
    )
    # Its glyph (ByT5) projection is 2048 wide whatever the config (4M weights): stored in half precision to keep
    # the folder small. It loads back as float32, the model's own dtype.
    transformer.half()
    return {
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "transformer": transformer,
        "vae": vae,
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=7.0),
        "text_encoder_2": text_encoder_2,
        "tokenizer_2": tokenizer_2,
        "guider": ClassifierFreeGuidance(guidance_scale=6.0),
    }


def build_hunyuanvideo15(folder: str | Path) -> Path:
    """HunyuanVideo 1.5 text-to-video: Qwen2.5-VL and ByT5 text encoders, the 16x spatial / 4x temporal VAE (the
    real compression: sizes in 16s, 4k+1 frames) and a transformer trained for text-to-video."""
    from diffusers import HunyuanVideo15Pipeline

    return save(HunyuanVideo15Pipeline(**_hunyuanvideo15_parts("t2v")), folder)


def build_hunyuanvideo15_i2v(folder: str | Path) -> Path:
    """HunyuanVideo 1.5 image-to-video: the same parts with an image-to-video transformer and the SigLIP image
    encoder. Its pipeline takes no width or height: it picks an aspect bucket from the image."""
    from diffusers import HunyuanVideo15ImageToVideoPipeline
    from transformers import SiglipImageProcessor, SiglipVisionConfig, SiglipVisionModel

    torch.manual_seed(SEED)
    image_encoder = SiglipVisionModel(
        SiglipVisionConfig(
            hidden_size=_HUNYUAN_IMAGE_WIDTH,
            intermediate_size=2 * _HUNYUAN_IMAGE_WIDTH,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=16,
            patch_size=4,
        )
    ).eval()
    pipe = HunyuanVideo15ImageToVideoPipeline(
        **_hunyuanvideo15_parts("i2v"),
        image_encoder=image_encoder,
        feature_extractor=SiglipImageProcessor(size={"height": 16, "width": 16}),
    )
    return save(pipe, folder)
