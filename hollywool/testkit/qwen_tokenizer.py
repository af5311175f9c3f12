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


# Qwen's byte-level BPE vocabulary (Qwen2.5's and Qwen3's alike) has 151,643 entries; the added tokens follow it.
QWEN_BASE_VOCABULARY = 151_643

# The added tokens of ComfyUI's comfy/text_encoders/qwen25_tokenizer/tokenizer_config.json (Qwen2.5-VL's), from
# 151643 on: the first 14 special, then 8 that are not, then 4 special ones Qwen3 has other tokens at.
COMFYUI_QWEN25_ADDED = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>",
    "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",
    "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>",
    "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<|img|>", "<|endofimg|>", "<|meta|>",
    "<|endofmeta|>",
)  # fmt: skip
_NOT_SPECIAL = range(14, 22)

# Qwen2.5's chat template without its tools branch, as that file carries it: a lone user message gets a system prompt.
QWEN25_CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}\n"
    "    {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}\n"
    "{%- else %}\n"
    "    {{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}\n"
    "{%- endif %}\n"
    "{%- for message in messages %}\n"
    '    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or '
    '(message.role == "assistant") %}\n'
    "        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n' }}\n"
    "{%- endif %}\n"
)


def kit_bpe(kit_folder: Path) -> tuple[dict[str, int], list[str]]:
    """The BPE vocabulary (ids 0..n-1, before the added tokens) and merges of a saved kit tokenizer folder."""
    model = json.loads((kit_folder / "tokenizer.json").read_text(encoding="utf-8"))["model"]
    vocab: dict[str, int] = model["vocab"]
    assert sorted(vocab.values()) == list(range(len(vocab))), "the kit's BPE ids are not 0..n-1"
    return vocab, [m if isinstance(m, str) else " ".join(m) for m in model["merges"]]


def write_comfyui_qwen25_folder(kit_folder: str | Path, folder: str | Path) -> Path:
    """ComfyUI's qwen25_tokenizer folder as its source tree ships it (vocab.json, merges.txt, tokenizer_config.json
    only), made from a kit tokenizer folder: the kit's BPE vocabulary padded to Qwen's 151,643 entries with entries
    no merge produces, so that the added tokens take their real ids."""
    kit_folder, folder = Path(kit_folder), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab, merges = kit_bpe(kit_folder)
    vocab.update(
        {f"<unreachable {i}>": i for i in range(len(vocab), QWEN_BASE_VOCABULARY)}
    )  # a space: never a BPE piece
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    added = {
        str(QWEN_BASE_VOCABULARY + i): {"content": token, "lstrip": False, "normalized": False, "rstrip": False,
                                        "single_word": False, "special": i not in _NOT_SPECIAL}
        for i, token in enumerate(COMFYUI_QWEN25_ADDED)
    }  # fmt: skip
    config = {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": list(COMFYUI_QWEN25_ADDED[1:14]),
        "bos_token": None,
        "chat_template": QWEN25_CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "extra_special_tokens": {},
        "model_max_length": 131072,
        "pad_token": "<|endoftext|>",
        "processor_class": "Qwen2_5_VLProcessor",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return folder
