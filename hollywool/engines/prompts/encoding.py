"""The one hook of prompt weights into image jobs: a pipeline call's prompt made ready for its model.

On the CLIP families a prompt with A1111 weights, or longer than the text encoder's 77 tokens, is encoded
through compel (clip_weights.py); any other prompt, and every prompt of the other families, goes to the
model with its weight syntax stripped (weights.py), encoded by the family's own encoder as before.
"""

from __future__ import annotations

from typing import Any

from hollywool.engines.image.prompt_cache import PromptCache, encode_now, with_embeddings
from hollywool.engines.prompts import weights
from hollywool.engines.prompts.clip_weights import encode_weighted, needs_weights
from hollywool.models.families.image import ImageFamily


def prompt_call(family: ImageFamily, pipe: Any, call: dict[str, Any], cache: PromptCache | None) -> dict[str, Any]:
    """`call` with its prompt as embeddings (kept in `cache` when given: None for jobs whose LoRAs change
    the text encoder) or, where the pipeline encodes it itself, as text without weight syntax."""
    prompt, negative = call["prompt"], call.get("negative_prompt")
    if family.prompt_weights and needs_weights(pipe, prompt, negative):
        found = cache.embeddings(family, pipe, call, encode_weighted) if cache is not None else None
        return with_embeddings(call, found if found is not None else encode_now(family, pipe, call, encode_weighted))
    call = {**call, "prompt": weights.without_weights(prompt)}
    if negative:
        call["negative_prompt"] = weights.without_weights(negative)
    found = cache.embeddings(family, pipe, call) if cache is not None else None
    return with_embeddings(call, found) if found is not None else call
