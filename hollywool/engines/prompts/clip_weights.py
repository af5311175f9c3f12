"""A1111-weighted and long prompts for the CLIP families (SD 1.x/2.x, SDXL), encoded through compel.

compel's own parser reads its own syntax (`(word)1.3`, `word++`), not A1111's, so the prompt is parsed here
(weights.py) and handed to compel as its prompt objects (fragments with weights): no text round trip, no
escaping. compel then weighs each token's embedding, and with `truncate_long_prompts=False` encodes a
prompt longer than CLIP's 77 tokens as several 77-token chunks. The positive and negative embeddings are
padded to the same length with the embedding of an empty chunk (as compel does), across both of SDXL's
text encoders.

SDXL's pooled embeddings (one vector per prompt, no per-token weights) come from the pipeline's own
encoder over the prompt without its weight syntax, so they are exactly what the pipeline would make.
`clip_skip` is not applied on this path (no studio job sets it).
"""

from __future__ import annotations

from typing import Any

from hollywool.engines.prompts import weights
from hollywool.models.families.image import encode_pooled


def needs_weights(pipe: Any, prompt: str, negative: str | None) -> bool:
    """Whether the prompts need compel: a weight other than 1, or more tokens than the text encoder reads."""
    tokenizer = getattr(pipe, "tokenizer", None) or pipe.tokenizer_2
    limit = tokenizer.model_max_length
    for text in (prompt, negative or ""):
        fragments = weights.parse(text)
        if not weights.is_plain(fragments):
            return True
        if len(tokenizer(weights.without_weights(text), verbose=False).input_ids) > limit:
            return True
    return False


def encode_weighted(
    pipe: Any, prompt: str, negative: str | None, cfg: bool, device: Any, options: dict[str, Any]
) -> dict[str, Any]:
    """A `PromptEncoder` (models/families/image.py) for A1111 prompts on SD 1.x/2.x and SDXL pipelines."""
    import torch
    from compel import Compel, ReturnedEmbeddingsType
    from compel.prompt_parser import Conjunction, FlattenedPrompt, Fragment

    xl = getattr(pipe, "text_encoder_2", None) is not None
    kind = (
        ReturnedEmbeddingsType.PENULTIMATE_HIDDEN_STATES_NON_NORMALIZED
        if xl
        else ReturnedEmbeddingsType.LAST_HIDDEN_STATES_NORMALIZED
    )
    pairs = [(pipe.tokenizer, pipe.text_encoder)] if getattr(pipe, "text_encoder", None) is not None else []
    if xl:
        pairs.append((pipe.tokenizer_2, pipe.text_encoder_2))
    compels = [
        Compel(
            tokenizer=tok,
            text_encoder=enc,
            truncate_long_prompts=False,
            returned_embeddings_type=kind,
            device=device,
            dtype_for_device_getter=lambda _device, enc=enc: enc.dtype,
        )
        for tok, enc in pairs
    ]
    # SDXL gives an absent negative prompt zeros, not the embedding of "" (`force_zeros_for_empty_prompt`).
    zero_negative = xl and not negative and bool(getattr(pipe.config, "force_zeros_for_empty_prompt", False))
    texts = [prompt] + ([negative or ""] if cfg and not zero_negative else [])
    conjunctions = [
        Conjunction([FlattenedPrompt([Fragment(chunk, weight) for chunk, weight in weights.parse(text)])])
        for text in texts
    ]
    # per text: one tensor per text encoder, [1, tokens, width]
    encoded = [[c.build_conditioning_tensor_for_conjunction(conj)[0] for c in compels] for conj in conjunctions]
    length = max(t.shape[1] for per_text in encoded for t in per_text)
    empties = [c.build_conditioning_tensor("") for c in compels]  # one 77-token chunk each
    joined = [
        torch.cat([_padded(t, empty, length) for t, empty in zip(per_text, empties, strict=True)], dim=-1)
        for per_text in encoded
    ]
    out: dict[str, Any] = {"prompt_embeds": joined[0]}
    if cfg:
        out["negative_prompt_embeds"] = torch.zeros_like(joined[0]) if zero_negative else joined[1]
    if xl:
        plain_negative = weights.without_weights(negative) if negative else None
        pooled = encode_pooled(pipe, weights.without_weights(prompt), plain_negative, cfg, device, {})
        out["pooled_prompt_embeds"] = pooled["pooled_prompt_embeds"]
        if cfg:
            out["negative_pooled_prompt_embeds"] = pooled["negative_pooled_prompt_embeds"]
    return out


def _padded(embeds: Any, empty: Any, length: int) -> Any:
    """`embeds` lengthened to `length` tokens with empty 77-token chunks."""
    import torch

    missing = (length - embeds.shape[1]) // empty.shape[1]
    return torch.cat([embeds, *[empty.to(embeds.dtype)] * missing], dim=1) if missing else embeds
