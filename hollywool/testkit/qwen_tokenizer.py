"""A tiny Qwen-style byte-level BPE tokenizer, trained on the spot and loaded from a folder.

Qwen-Image, Qwen-Image-Edit, Krea 2 and Z-Image encode prompts with Qwen tokenizers, and their pipelines
drop a fixed number of tokens of a fixed system prompt (Qwen-Image and Krea 2: 34, Qwen-Image-Edit-Plus:
64). A vocabulary where every word of those prompts is one token splits them exactly as the real Qwen
vocabulary does, so the counts match. The BPE is trained with the `tokenizers` library on a few
sentences plus the pipelines' templates (well under a second), written into a folder with the Qwen
special tokens and a chat template, and loaded back with `Qwen2Tokenizer.from_pretrained`.
"""

from __future__ import annotations

import json
from pathlib import Path

from hollywool.testkit.tokenizers import _CORPUS

# The system prompts the pipelines wrap a prompt in (diffusers 0.42.1).
TEMPLATES = (
    "Describe the image by detailing the color, shape, size, texture, quantity, text, spatial relationships "
    "of the objects and background:",
    "Describe the key features of the input image (color, shape, size, texture, objects, background), then "
    "explain how the user's text instruction should alter or modify the image. Generate a new image that "
    "meets the user's requirements while maintaining consistency with the original input where appropriate.",
    "Picture 1: Picture 2: Picture 3: <think>\n\n</think>\n\n",
    "system\nuser\nassistant\n",
)

SPECIAL_TOKENS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)

# Qwen3's chat template, reduced to what Z-Image uses: user turns and the assistant's empty-thinking prefix.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and not enable_thinking %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
)


def _train(vocab_size: int) -> tuple[dict[str, int], list[str]]:
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX  # Qwen2's own split

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train_from_iterator([*_CORPUS, *TEMPLATES] * 2, trainer)
    state = json.loads(bpe.to_str())["model"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in state["merges"]]
    return state["vocab"], merges


def write_qwen_tokenizer(folder: str | Path, vocab_size: int = 1024) -> Path:
    """Write a Qwen2 tokenizer (vocab.json, merges.txt, special tokens, chat template) into ``folder``."""
    from transformers import Qwen2Tokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = _train(vocab_size)
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    tok = Qwen2Tokenizer.from_pretrained(folder)
    tok.add_special_tokens({"additional_special_tokens": [t for t in SPECIAL_TOKENS if t != "<|endoftext|>"]})
    tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(folder)
    return folder


def load_qwen_tokenizer(folder: str | Path):
    from transformers import Qwen2Tokenizer

    return Qwen2Tokenizer.from_pretrained(folder)
