"""Tiny tokenizers built on disk without the model hub.

transformers 5 constructors (`CLIPTokenizer(vocab_file=...)`, `T5Tokenizer(vocab_file=...)`) silently
build an empty tokenizer, which later fails inside the text encoder with ``IndexError``. So every builder
here writes the tokenizer's files into a folder and loads them back with ``from_pretrained(folder)``,
the same path a real model takes.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from hollywool.models.bpe import bytes_to_unicode

# Sentences the tiny sentencepiece models learn their pieces from; the prompts used in tests should
# mostly fall inside this alphabet, but unknown characters are fine (they map to <unk>).
_CORPUS = [
    "a photo of a cat sitting on a red chair",
    "a robot dancing in the rain at night",
    "a painting of a squirrel eating a burger",
    "dance monkey, cinematic lighting, high detail",
    "an astronaut riding a horse on the moon",
    "blurry, low quality, watermark, text",
    "the quick brown fox jumps over the lazy dog 0123456789",
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz .,;:!?'\"-()",
]

# Special pieces must carry the names the transformers tokenizer class expects, or it appends its own
# tokens at new ids (and the text encoder's vocabulary no longer covers them).
_T5_PIECES = {"pad_piece": "<pad>", "eos_piece": "</s>", "unk_piece": "<unk>"}
_GEMMA_PIECES = {
    "pad_piece": "<pad>",
    "eos_piece": "<eos>",
    "bos_piece": "<bos>",
    "unk_piece": "<unk>",
    "user_defined_symbols": ["<mask>"],
}

_CLIP_MERGES = ["t h", "th e</w>", "a n", "i n", "o n</w>", "a</w> p", "c a", "ca t</w>"]


def write_clip_tokenizer(folder: str | Path) -> Path:
    """Write a byte-level BPE CLIP tokenizer (vocab.json, merges.txt, config) into ``folder``."""
    from transformers import CLIPTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    byte_chars = list(bytes_to_unicode().values())
    tokens = byte_chars + [c + "</w>" for c in byte_chars]
    tokens += ["".join(m.split()) for m in _CLIP_MERGES]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    vocab = {tok: i for i, tok in enumerate(dict.fromkeys(tokens))}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(_CLIP_MERGES) + "\n", encoding="utf-8")
    tok = CLIPTokenizer.from_pretrained(folder, model_max_length=77, pad_token="<|endoftext|>")
    tok.save_pretrained(folder)
    return folder


def load_clip_tokenizer(folder: str | Path):
    from transformers import CLIPTokenizer

    return CLIPTokenizer.from_pretrained(folder, model_max_length=77, pad_token="<|endoftext|>")


def _train_unigram(vocab_size: int, *, pad: int, eos: int, unk: int, bos: int, pieces: dict[str, str]) -> bytes:
    """Train a tiny sentencepiece unigram model in memory and return its serialized bytes."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_CORPUS * 4),
        model_writer=model,
        model_type="unigram",
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        pad_id=pad,
        eos_id=eos,
        unk_id=unk,
        bos_id=bos,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
        **pieces,
    )
    return model.getvalue()


def write_t5_tokenizer(folder: str | Path, vocab_size: int = 96) -> Path:
    """Write a T5 / UMT5 sentencepiece tokenizer (``spiece.model``, no extra ids) into ``folder``."""
    from transformers import T5Tokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spiece.model").write_bytes(_train_unigram(vocab_size, pad=0, eos=1, unk=2, bos=-1, pieces=_T5_PIECES))
    tok = T5Tokenizer.from_pretrained(folder, extra_ids=0)
    tok.save_pretrained(folder)
    return folder


def load_t5_tokenizer(folder: str | Path):
    from transformers import T5Tokenizer

    return T5Tokenizer.from_pretrained(folder, extra_ids=0)


def write_gemma_tokenizer(folder: str | Path, vocab_size: int = 96) -> Path:
    """Write a Gemma sentencepiece tokenizer (``tokenizer.model``: pad 0, eos 1, bos 2, unk 3)."""
    from transformers import GemmaTokenizer

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.model").write_bytes(
        _train_unigram(vocab_size, pad=0, eos=1, unk=3, bos=2, pieces=_GEMMA_PIECES)
    )
    tok = GemmaTokenizer.from_pretrained(folder, add_bos_token=True)
    tok.save_pretrained(folder)
    return folder


def load_gemma_tokenizer(folder: str | Path):
    from transformers import GemmaTokenizer

    tok = GemmaTokenizer.from_pretrained(folder)
    # It remembers the absolute path of tokenizer.model and would write it into every saved config.
    tok.init_kwargs.pop("vocab_file", None)
    return tok
