"""The parts every tiny pipeline builder shares: the seed, locally built tokenizers and text encoders, a small
VAE, and saving a pipeline as an ordinary model folder (see tiny_models.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch

from hollywool.testkit import tokenizers as tk

SEED = 0


# --------------------------------------------------------------------------- text encoders and tokenizers


def clip_tokenizer():
    with tempfile.TemporaryDirectory() as tmp:
        tk.write_clip_tokenizer(tmp)
        return tk.load_clip_tokenizer(tmp)


def t5_tokenizer():
    with tempfile.TemporaryDirectory() as tmp:
        tk.write_t5_tokenizer(tmp)
        return tk.load_t5_tokenizer(tmp)


def gemma_tokenizer():
    with tempfile.TemporaryDirectory() as tmp:
        tk.write_gemma_tokenizer(tmp)
        return tk.load_gemma_tokenizer(tmp)


def clip_text_config(tokenizer, hidden_size: int = 32, projection_dim: int = 32):
    from transformers import CLIPTextConfig

    return CLIPTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=2,  # SDXL and SD3 read hidden_states[-2]
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=projection_dim,
        hidden_act="gelu",
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )


def clip_text_model(tokenizer, hidden_size: int = 32, *, with_projection: bool = False, projection_dim: int = 32):
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    torch.manual_seed(SEED)
    cls = CLIPTextModelWithProjection if with_projection else CLIPTextModel
    return cls(clip_text_config(tokenizer, hidden_size, projection_dim)).eval()


def t5_encoder(tokenizer, d_model: int = 32, *, umt5: bool = False):
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    config_cls, model_cls = (UMT5Config, UMT5EncoderModel) if umt5 else (T5Config, T5EncoderModel)
    config = config_cls(
        vocab_size=len(tokenizer),
        d_model=d_model,
        d_ff=2 * d_model,
        d_kv=8,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(SEED)
    return model_cls(config).eval()


# --------------------------------------------------------------------------- shared sub-models


def sd_vae(latent_channels: int = 4, **overrides):
    """A 4-level AutoencoderKL (scale factor 8) like SD's, at 16/32 channels."""
    from diffusers import AutoencoderKL

    kwargs = {
        "in_channels": 3,
        "out_channels": 3,
        "down_block_types": ("DownEncoderBlock2D",) * 4,
        "up_block_types": ("UpDecoderBlock2D",) * 4,
        "block_out_channels": (16, 16, 32, 32),
        "layers_per_block": 2,
        "latent_channels": latent_channels,
        "norm_num_groups": 8,
        "sample_size": 64,
    }
    kwargs.update(overrides)
    torch.manual_seed(SEED)
    return AutoencoderKL(**kwargs)


def save(pipe, folder: str | Path) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pipe.save_pretrained(folder, safe_serialization=True)
    return folder


# --------------------------------------------------------------------------- image families
