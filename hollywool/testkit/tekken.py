"""A tiny Mistral `tekken.json`, as ComfyUI's Mistral text-encoder files carry it (`tekken_model`).

Made from the tiny FLUX.2 [dev] folder's byte-level BPE (tiny_flux2.write_mistral_processor), so the tokenizer the
studio builds from it gives the folder's own token ids: the specials at their ids (Mistral's, 0-19), then every
other token as a rank whose `token_bytes` are its bytes in base64, in id order (a BPE's merge order). As in Mistral's
releases, `vocab` holds a few more entries than `default_vocab_size` leaves room for (headroom readers drop), and the
pre-tokenizer pattern is tekken's.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

# tekken's pre-tokenizer pattern (Mistral's tekken.json `config.pattern`).
TEKKEN_PATTERN = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
    r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_HEADROOM = [b"zzqx", b"qqzz"]  # past default_vocab_size: never part of the vocabulary


def tekken_json(tokenizer_json: Path) -> bytes:
    """The tekken.json of a byte-level BPE `tokenizer.json` whose added tokens are the specials at ids 0..n-1."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    data = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    specials = sorted(data["added_tokens"], key=lambda t: t["id"])
    assert [t["id"] for t in specials] == list(range(len(specials))), "specials must come first"
    to_byte = {char: byte for byte, char in bytes_to_unicode().items()}
    tokens = sorted((i, t) for t, i in data["model"]["vocab"].items() if i >= len(specials))
    pieces = [bytes(to_byte[c] for c in token) for _i, token in tokens]
    vocab = [
        {"rank": rank, "token_bytes": base64.b64encode(piece).decode("ascii"), "token_str": None}
        for rank, piece in enumerate(pieces + _HEADROOM)
    ]
    tekken = {
        "config": {
            "pattern": TEKKEN_PATTERN,
            "num_vocab_tokens": len(vocab),
            "default_vocab_size": len(specials) + len(pieces),
            "default_num_special_tokens": len(specials),
            "version": "v7",
        },
        "vocab": vocab,
        "special_tokens": [{"rank": t["id"], "token_str": t["content"], "is_control": True} for t in specials],
    }
    return json.dumps(tekken, ensure_ascii=False).encode("utf-8")
