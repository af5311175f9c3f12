"""Tiny FLUX.2 (dev and Klein) and Chroma pipelines, with their tokenizers built offline.

The configs follow diffusers' fast tests (``tests/pipelines/flux2`` and ``tests/pipelines/chroma``), with
three changes so the studio's own code paths run unchanged on them:

* the VAEs keep the real 8x downscale (four levels) and latent widths (32 channels for FLUX.2, 16 for
  Chroma), so sizes are multiples of 16 as in the real models and the published preview factors apply;
* the text encoders have as many layers as the pipelines' default ``text_encoder_out_layers`` read
  (Klein: 9, 18, 27; dev: 10, 20, 30), because the studio calls the pipelines with their defaults;
* tokenizers are trained here on a few sentences: a Qwen byte-level BPE with a chat template for Klein,
  and for dev a BPE with the Mistral special tokens at their real ids inside a ``PixtralProcessor``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch

from hollywool.testkit.tiny_parts import SEED, save, sd_vae, t5_encoder, t5_tokenizer

# Sentences the tiny BPE tokenizers learn their merges from (plus FLUX.2 dev's fixed system message).
_CORPUS = [
    "a photo of a cat sitting on a red chair",
    "a red fox in snow, a robot dancing in the rain at night",
    "an astronaut riding a horse on the moon, blurry, low quality",
    "the quick brown fox jumps over the lazy dog 0123456789",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz .,;:!?'\"-()",
]

_QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
# Qwen3's template, reduced to what the Klein pipeline renders (it passes enable_thinking=False).
_QWEN_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# Mistral's control tokens at their real ids (Mistral3's image_token_index is 10, pad is 11).
_MISTRAL_SPECIALS = [
    "<unk>", "<s>", "</s>", "[INST]", "[/INST]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]", "[TOOL_RESULTS]",
    "[/TOOL_RESULTS]", "[TOOL_CALLS]", "[IMG]", "<pad>", "[IMG_BREAK]", "[IMG_END]", "[PREFIX]", "[MIDDLE]",
    "[SUFFIX]", "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[TOOL_CONTENT]",
]  # fmt: skip
# The FLUX.2 pipeline sends a system message and a user turn, each a list of typed parts.
_MISTRAL_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% if m['role'] == 'system' %}[SYSTEM_PROMPT]"
    "{% for c in m['content'] %}{{ c['text'] }}{% endfor %}[/SYSTEM_PROMPT]"
    "{% else %}[INST]{% for c in m['content'] %}{% if c['type'] == 'text' %}{{ c['text'] }}{% else %}[IMG]{% endif %}"
    "{% endfor %}[/INST]{% endif %}{% endfor %}"
)


def _train_bpe(folder: Path, specials: list[str], corpus: list[str], vocab_size: int = 320) -> None:
    """Train a byte-level BPE on ``corpus`` and write it as ``tokenizer.json``; specials take ids 0, 1, ..."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)  # pyright: ignore[reportAttributeAccessIssue]
    tok.decoder = decoders.ByteLevel()  # pyright: ignore[reportAttributeAccessIssue]
    trainer = trainers.BpeTrainer(  # pyright: ignore[reportCallIssue]
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus * 4, trainer)
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))


def write_qwen_tokenizer(folder: str | Path) -> Path:
    """A Qwen2 tokenizer (byte-level BPE, Qwen special tokens, chat template) for the Klein pipeline."""
    from transformers import Qwen2Tokenizer

    folder = Path(folder)
    _train_bpe(folder, _QWEN_SPECIALS, _CORPUS)
    config = {
        "tokenizer_class": "Qwen2Tokenizer",
        "pad_token": "<|endoftext|>",
        "eos_token": "<|im_end|>",
        "bos_token": None,
        "unk_token": None,
        "model_max_length": 512,
        "chat_template": _QWEN_TEMPLATE,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    Qwen2Tokenizer.from_pretrained(folder).save_pretrained(folder)
    return folder


def write_mistral_processor(folder: str | Path, patch_size: int = 16) -> Path:
    """A ``PixtralProcessor`` (Mistral special tokens at their real ids, a chat template, left padding) for FLUX.2
    dev."""
    from diffusers.pipelines.flux2.system_messages import SYSTEM_MESSAGE
    from transformers import PixtralImageProcessor, PixtralProcessor, PreTrainedTokenizerFast

    folder = Path(folder)
    _train_bpe(folder, _MISTRAL_SPECIALS, [*_CORPUS, SYSTEM_MESSAGE.replace("\n", " ")])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(folder / "tokenizer.json"),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        model_max_length=2048,
        padding_side="left",  # as FLUX.2 [dev]'s: its pipeline pads prompts to 512 tokens on the left
    )
    processor = PixtralProcessor(
        image_processor=PixtralImageProcessor(patch_size=patch_size, size={"longest_edge": 64}),
        tokenizer=tokenizer,
        patch_size=patch_size,
        spatial_merge_size=2,
        chat_template=_MISTRAL_TEMPLATE,
    )
    processor.save_pretrained(folder)
    return folder


def _load_tokenizer(writer: Any, loader: Any) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        writer(tmp)
        return loader(tmp)


def _flux2_vae() -> Any:
    """AutoencoderKLFlux2 with the real 8x downscale and 32 latent channels, at 16/32 block widths."""
    from diffusers import AutoencoderKLFlux2

    torch.manual_seed(SEED)
    return AutoencoderKLFlux2(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(16, 16, 32, 32),
        layers_per_block=1,
        latent_channels=32,
        norm_num_groups=8,
        sample_size=64,
        use_quant_conv=False,
        use_post_quant_conv=False,
    )


def _flux2_transformer(text_width: int, *, guidance_embeds: bool) -> Any:
    from diffusers import Flux2Transformer2DModel

    torch.manual_seed(SEED)
    return Flux2Transformer2DModel(
        patch_size=1,
        in_channels=128,  # 32 latent channels, patchified 2x2
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=3 * text_width,  # three text-encoder layers, stacked
        timestep_guidance_channels=256,
        axes_dims_rope=(4, 4, 4, 4),
        guidance_embeds=guidance_embeds,
    )


def _flux2_scheduler() -> Any:
    from diffusers import FlowMatchEulerDiscreteScheduler

    # As FLUX.2's own scheduler_config.json: resolution-dependent shift, passed by the pipeline as `mu`.
    return FlowMatchEulerDiscreteScheduler(use_dynamic_shifting=True, time_shift_type="exponential", shift=3.0)


def build_flux2_klein(folder: str | Path) -> Path:
    """FLUX.2 Klein (distilled): Flux2 transformer without guidance embedding, 27-layer tiny Qwen3, 4-step."""
    from diffusers import Flux2KleinPipeline
    from transformers import Qwen2Tokenizer, Qwen3Config, Qwen3ForCausalLM

    tokenizer = _load_tokenizer(write_qwen_tokenizer, Qwen2Tokenizer.from_pretrained)
    width = 16
    config = Qwen3Config(
        vocab_size=len(tokenizer),
        hidden_size=width,
        intermediate_size=32,
        num_hidden_layers=27,  # the pipeline reads hidden states 9, 18 and 27
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
        max_position_embeddings=512,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    torch.manual_seed(SEED)
    text_encoder = Qwen3ForCausalLM(config).eval()
    pipe = Flux2KleinPipeline(
        scheduler=_flux2_scheduler(),
        vae=_flux2_vae(),
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=_flux2_transformer(width, guidance_embeds=False),
        is_distilled=True,
    )
    return save(pipe, folder)


def build_flux2(folder: str | Path) -> Path:
    """FLUX.2 dev: Flux2 transformer with guidance embedding, 30-layer tiny Mistral 3 + 1-layer Pixtral tower."""
    from diffusers import Flux2Pipeline
    from transformers import AutoProcessor, Mistral3Config, Mistral3ForConditionalGeneration

    processor = _load_tokenizer(write_mistral_processor, AutoProcessor.from_pretrained)
    tokenizer = processor.tokenizer
    width = 16
    config = Mistral3Config(
        text_config={
            "model_type": "mistral",
            "vocab_size": len(tokenizer),
            "hidden_size": width,
            "intermediate_size": 32,
            "num_hidden_layers": 30,  # the pipeline reads hidden states 10, 20 and 30
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 8,
            "max_position_embeddings": 2048,
            "sliding_window": None,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "model_type": "pixtral",
            "hidden_size": 16,
            "intermediate_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 64,
            "patch_size": 16,
            "num_channels": 3,
        },
        image_token_index=_MISTRAL_SPECIALS.index("[IMG]"),
        spatial_merge_size=2,
        vision_feature_layer=-1,
    )
    torch.manual_seed(SEED)
    text_encoder = Mistral3ForConditionalGeneration(config).eval()
    pipe = Flux2Pipeline(
        scheduler=_flux2_scheduler(),
        vae=_flux2_vae(),
        text_encoder=text_encoder,
        tokenizer=processor,
        transformer=_flux2_transformer(width, guidance_embeds=True),
    )
    return save(pipe, folder)


def build_chroma(folder: str | Path) -> Path:
    """Chroma: FLUX.1-style transformer with a distilled guidance approximator, T5 only, FLUX.1's 16-channel VAE."""
    from diffusers import ChromaPipeline, ChromaTransformer2DModel, FlowMatchEulerDiscreteScheduler

    tokenizer = t5_tokenizer()
    torch.manual_seed(SEED)
    transformer = ChromaTransformer2DModel(
        patch_size=1,
        in_channels=64,  # 16 latent channels packed 2x2
        num_layers=1,
        num_single_layers=1,
        attention_head_dim=16,
        num_attention_heads=2,
        joint_attention_dim=32,
        axes_dims_rope=(4, 4, 8),
        approximator_num_channels=16,
        approximator_hidden_dim=32,
        approximator_layers=1,
    )
    pipe = ChromaPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=sd_vae(16, use_quant_conv=False, use_post_quant_conv=False, shift_factor=0.1159, scaling_factor=0.3611),
        text_encoder=t5_encoder(tokenizer, 32),
        tokenizer=tokenizer,
        transformer=transformer,
        image_encoder=None,
        feature_extractor=None,
    )
    return save(pipe, folder)


# Linear layers a LoRA trains: the attention projections, and FLUX.2's fused single-block projection.
_LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out.0", "to_qkv_mlp_proj", "add_q_proj", "add_k_proj", "add_v_proj")


def write_transformer_lora(
    folder: str | Path, out_dir: str | Path, *, rank: int = 4, seed: int = 0, std: float = 0.5
) -> Path:
    """A diffusers/peft-format transformer LoRA for the tiny FLUX.2, Klein or Chroma pipeline in ``folder``.

    Written by the pipeline class's own ``save_lora_weights`` (``transformer.<module>.lora_A.weight`` keys), with
    both matrices drawn at random (peft's zero ``lora_B`` would change nothing).
    """
    import diffusers

    from hollywool.testkit.loras import _random_lora_layers

    index = json.loads((Path(folder) / "model_index.json").read_text())
    pipeline_cls = getattr(diffusers, index["_class_name"])
    transformer_cls = getattr(diffusers, index["transformer"][1])
    transformer = transformer_cls.from_pretrained(folder, subfolder="transformer")
    layers = _random_lora_layers(transformer, list(_LORA_TARGETS), rank, seed, std)
    state_dict: dict[str, torch.Tensor] = {}
    for name, (down, up) in layers.items():
        state_dict[f"{name}.lora_A.weight"] = down
        state_dict[f"{name}.lora_B.weight"] = up
    out_dir = Path(out_dir)
    pipeline_cls.save_lora_weights(out_dir, transformer_lora_layers=state_dict, safe_serialization=True)
    return out_dir / "pytorch_lora_weights.safetensors"
