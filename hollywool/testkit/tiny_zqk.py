"""Tiny random-weight Z-Image, Qwen-Image (2512, Edit, 2.1) and Krea 2 pipelines (see tiny_models.py).

Sub-model configs follow the ``get_dummy_components`` of diffusers' fast tests, with the text encoders
built locally from small configs and a Qwen-style tokenizer trained on the spot (qwen_tokenizer.py)
instead of the hub's tiny checkpoints. Sizes are chosen so a 2-step run takes well under a second on the
CPU; the Qwen-Image-Edit VAE compresses 16x because that pipeline encodes every reference at about 1024x1024
whatever the output size.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch

from hollywool.testkit import qwen_tokenizer
from hollywool.testkit.tiny_parts import SEED, save, sd_vae

TEXT_WIDTH = 16  # hidden size of every tiny text encoder here


def _qwen_tokenizer() -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        qwen_tokenizer.write_qwen_tokenizer(tmp)
        return qwen_tokenizer.load_qwen_tokenizer(tmp)


def _seed() -> None:
    torch.manual_seed(SEED)


def _qwen_vae(*, levels: int = 4, base_dim: int = 8, res_blocks: int = 0) -> Any:
    """The Qwen-Image (Wan 2.1-style) causal video VAE, 16 channels; ``levels`` 4 compresses 8x like the real one.

    Width 8 is the least at which the random decoder's pixels follow its latents: at 2 or 4 channels every
    latent decodes to nearly the same image, so a LoRA or a reference image could not be seen in the output."""
    from diffusers import AutoencoderKLQwenImage

    _seed()
    return AutoencoderKLQwenImage(
        base_dim=base_dim,
        z_dim=16,
        dim_mult=[1] * levels,
        num_res_blocks=res_blocks,
        temperal_downsample=[False] * (levels - 4) + [False, True, True],  # one entry per down step
    )


# --------------------------------------------------------------------------- Z-Image


def build_zimage(folder: str | Path) -> Path:
    """Z-Image: single-stream DiT, Qwen3 text encoder (second-to-last layer), FLUX's 16-channel VAE."""
    from diffusers import FlowMatchEulerDiscreteScheduler, ZImagePipeline, ZImageTransformer2DModel
    from transformers import Qwen3Config, Qwen3Model

    tokenizer = _qwen_tokenizer()
    _seed()
    transformer = ZImageTransformer2DModel(
        all_patch_size=(2,),
        all_f_patch_size=(1,),
        in_channels=16,
        dim=32,
        n_layers=2,
        n_refiner_layers=1,
        n_heads=2,
        n_kv_heads=2,
        cap_feat_dim=TEXT_WIDTH,
        axes_dims=[8, 4, 4],
        axes_lens=[256, 32, 32],
    )
    with torch.no_grad():  # created with torch.empty: give them values so saved weights are finite
        transformer.x_pad_token.copy_(torch.ones_like(transformer.x_pad_token))
        transformer.cap_pad_token.copy_(torch.ones_like(transformer.cap_pad_token))
    _seed()
    text_encoder = Qwen3Model(
        Qwen3Config(
            vocab_size=len(tokenizer),
            hidden_size=TEXT_WIDTH,
            intermediate_size=32,
            num_hidden_layers=2,  # the pipeline reads hidden_states[-2]
            num_attention_heads=2,
            num_key_value_heads=2,
            head_dim=8,
            max_position_embeddings=512,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    ).eval()
    pipe = ZImagePipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        vae=sd_vae(16, use_quant_conv=False, use_post_quant_conv=False, shift_factor=0.1159, scaling_factor=0.3611),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )
    return save(pipe, folder)


# --------------------------------------------------------------------------- Qwen-Image


def _qwen25_vl(tokenizer: Any) -> Any:
    """A two-layer Qwen2.5-VL with a tiny vision tower; its special ids are the tokenizer's."""
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    ids = tokenizer.convert_tokens_to_ids
    config = Qwen2_5_VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": TEXT_WIDTH,
            "intermediate_size": 32,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "max_position_embeddings": 1024,
            "rope_scaling": {
                "mrope_section": [1, 1, 2],
                "rope_type": "default",
                "type": "default",
            },  # 1+1+2 = head_dim/2
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "bos_token_id": None,
        },
        vision_config={
            "depth": 1,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_heads": 2,
            "out_hidden_size": TEXT_WIDTH,
        },
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )
    _seed()
    return Qwen2_5_VLForConditionalGeneration(config).eval()


def _qwen_transformer() -> Any:
    from diffusers import QwenImageTransformer2DModel

    _seed()
    return QwenImageTransformer2DModel(
        patch_size=2,
        in_channels=64,  # 16 latent channels packed 2x2
        out_channels=16,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=TEXT_WIDTH,
        guidance_embeds=False,
        axes_dims_rope=(8, 4, 4),
    )


def build_qwen_image(folder: str | Path) -> Path:
    """Qwen-Image: MMDiT, Qwen2.5-VL text encoder, the 16-channel Qwen-Image VAE (8x, one frame)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, QwenImagePipeline

    tokenizer = _qwen_tokenizer()
    pipe = QwenImagePipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_qwen_vae(),
        text_encoder=_qwen25_vl(tokenizer),
        tokenizer=tokenizer,
        transformer=_qwen_transformer(),
    )
    return save(pipe, folder)


def build_qwen_image_edit(folder: str | Path) -> Path:
    """Qwen-Image-Edit (2509/2511, the Edit-Plus pipeline): Qwen-Image plus a processor that shows the encoder
    the reference images. The pipeline encodes every reference at about 1024x1024 (fixed in diffusers), so this
    VAE compresses 16x, leaving the transformer 1024 tokens per reference."""
    from diffusers import FlowMatchEulerDiscreteScheduler, QwenImageEditPlusPipeline
    from transformers import Qwen2VLImageProcessor, Qwen2VLProcessor, Qwen2VLVideoProcessor

    tokenizer = _qwen_tokenizer()
    # The vision tower sees each reference at up to 56x56 (4 patches of 28 after merging): tiny but real.
    processor = Qwen2VLProcessor(
        image_processor=Qwen2VLImageProcessor(min_pixels=28 * 28, max_pixels=56 * 56),
        tokenizer=tokenizer,
        video_processor=Qwen2VLVideoProcessor(),
    )
    pipe = QwenImageEditPlusPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=_qwen_vae(levels=5),
        text_encoder=_qwen25_vl(tokenizer),
        tokenizer=tokenizer,
        processor=processor,
        transformer=_qwen_transformer(),
    )
    return save(pipe, folder)


# --------------------------------------------------------------------------- Qwen-Image 2.1

# The chat template of Qwen3-VL's processor, reduced to what Qwen-Image 2.1 uses (text and image parts).
QWEN3_VL_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}"
    "{{ message['content'] }}{% else %}{% for part in message['content'] %}{% if part['type'] == 'text' %}"
    "{{ part['text'] }}{% else %}<|vision_start|><|image_pad|><|vision_end|>{% endif %}{% endfor %}{% endif %}"
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_qwen_image_21(folder: str | Path) -> Path:
    """Qwen-Image 2.1: a single-stream transformer reading 64-channel latents unpatched (one token per 16x16
    pixels), a Qwen3-VL encoder that sees prompt and reference images together, and its own 16x VAE. The image
    processor keeps Qwen3-VL's 16-pixel patches merged 2x2, which the pipeline's token bookkeeping assumes."""
    from diffusers import (
        AutoencoderKLQwenImage21,
        FlowMatchEulerDiscreteScheduler,
        QwenImage21Pipeline,
        QwenImage21Transformer2DModel,
    )
    from transformers import Qwen2VLImageProcessor, Qwen3VLConfig, Qwen3VLForConditionalGeneration, Qwen3VLProcessor
    from transformers.models.qwen3_vl.video_processing_qwen3_vl import Qwen3VLVideoProcessor

    tokenizer = _qwen_tokenizer()
    ids = tokenizer.convert_tokens_to_ids
    processor = Qwen3VLProcessor(
        # Qwen3-VL's own sizes: Qwen2-VL's defaults would shrink a ~1024x1024 reference below the VAE's token count.
        image_processor=Qwen2VLImageProcessor(
            patch_size=16, merge_size=2, size={"shortest_edge": 65536, "longest_edge": 16777216}
        ),
        tokenizer=tokenizer,
        video_processor=Qwen3VLVideoProcessor(),
        chat_template=QWEN3_VL_TEMPLATE,
    )
    config = Qwen3VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": TEXT_WIDTH,
            "intermediate_size": 16,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 8,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "mrope_interleaved": True},
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "bos_token_id": None,
        },
        vision_config={
            "depth": 1,
            "hidden_size": 16,
            "intermediate_size": 16,
            "num_heads": 2,
            "out_hidden_size": TEXT_WIDTH,
            "deepstack_visual_indexes": [0],  # one per vision layer it taps: the tower has one
            "num_position_embeddings": 64,
        },
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )
    _seed()
    text_encoder = Qwen3VLForConditionalGeneration(config).eval()
    _seed()
    vae = AutoencoderKLQwenImage21(
        base_dim=8,
        decoder_base_dim=8,
        z_dim=64,
        dim_mult=[1] * 5,
        num_res_blocks=0,
        temperal_downsample=[False, True, True, True],
    )
    _seed()
    transformer = QwenImage21Transformer2DModel(
        patch_size=1,
        in_channels=64,
        out_channels=64,
        num_layers=2,
        attention_head_dim=16,
        num_attention_heads=2,
        context_in_dim=TEXT_WIDTH,
        mlp_ratio=2,
        axes_dims_rope=(4, 6, 6),  # adds up to the head dim
    )
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15, base_image_seq_len=256, max_image_seq_len=4096
    )
    pipe = QwenImage21Pipeline(
        scheduler=scheduler, vae=vae, text_encoder=text_encoder, processor=processor, transformer=transformer
    )
    return save(pipe, folder)


# --------------------------------------------------------------------------- Krea 2


def build_krea2(folder: str | Path) -> Path:
    """Krea 2: single-stream MMDiT fed a stack of Qwen3-VL hidden states, the Qwen-Image VAE."""
    from diffusers import FlowMatchEulerDiscreteScheduler, Krea2Pipeline, Krea2Transformer2DModel
    from transformers import Qwen3VLConfig, Qwen3VLModel

    tokenizer = _qwen_tokenizer()
    ids = tokenizer.convert_tokens_to_ids
    layers = 2
    _seed()
    transformer = Krea2Transformer2DModel(
        in_channels=64,  # 16 latent channels in 2x2 patches
        num_layers=2,
        attention_head_dim=8,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=32,
        timestep_embed_dim=8,
        text_hidden_dim=TEXT_WIDTH,
        num_text_layers=layers + 1,  # the embeddings and each layer's output
        text_num_attention_heads=2,
        text_num_key_value_heads=1,
        text_intermediate_size=16,
        num_layerwise_text_blocks=1,
        num_refiner_text_blocks=1,
        axes_dims_rope=(4, 2, 2),
    )
    config = Qwen3VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": TEXT_WIDTH,
            "intermediate_size": 16,
            "num_hidden_layers": layers,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 8,
            "rope_scaling": {"mrope_section": [1, 1, 2], "rope_type": "default", "mrope_interleaved": True},
            "pad_token_id": tokenizer.pad_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "bos_token_id": None,
        },
        vision_config={"depth": 1, "hidden_size": 16, "intermediate_size": 16, "num_heads": 2, "out_hidden_size": 16},
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )
    _seed()
    text_encoder = Qwen3VLModel(config).eval()
    scheduler = FlowMatchEulerDiscreteScheduler(
        use_dynamic_shifting=True, base_shift=0.5, max_shift=1.15, base_image_seq_len=256, max_image_seq_len=6400
    )
    pipe = Krea2Pipeline(
        scheduler=scheduler,
        vae=_qwen_vae(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
        text_encoder_select_layers=tuple(range(layers + 1)),
    )
    return save(pipe, folder)
