"""Text embeddings kept per loaded model, so the same prompt is not encoded again on the next job.

A job that runs a prompt (and negative prompt) the model has already encoded passes the stored
tensors as `prompt_embeds` / `negative_prompt_embeds` (and the pooled ones for SDXL, SD3 and FLUX)
instead of the text, so the text encoders do not run; ComfyUI does the same with its conditioning.
The embeddings come from the pipeline's own `encode_prompt`, called with exactly what the pipeline
itself would pass it, so the image is the same as without the cache.

Every image family takes embeddings cleanly (SD 1.x/2.x, SDXL, SD3, FLUX); each declares its encoder
(`ImageFamily.encode_prompt`). A family without one simply runs without the cache. The cache lives on
the cached model (`variants["prompts"]`): it goes when the model is evicted or unloaded. Jobs with
LoRAs bypass it (a LoRA may change the text encoder). Prompts with A1111 weights are kept too, under the
encoder that made them (engines/prompts/encoding.py).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from hollywool.models.families.image import ImageFamily, PromptEncoder

MAX_ENTRIES = 16  # per model; an SD 1.5 entry is ~0.25 MB, a FLUX one ~8 MB in bfloat16

# What an entry is kept under: encoder, prompt, negative prompt, whether the negative branch runs, encoding options.
_Key = tuple[str, str, str | None, bool, tuple[tuple[str, Any], ...]]

# The keys of a pipeline call that change what `encode_prompt` returns.
_ENCODING_OPTIONS = ("clip_skip", "max_sequence_length")


class PromptCache:
    """Least-recently-used text embeddings of one loaded model."""

    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._items: OrderedDict[_Key, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def embeddings(
        self, family: ImageFamily, pipe: Any, call: dict[str, Any], encode: PromptEncoder | None = None
    ) -> dict[str, Any] | None:
        """The call's prompt as embeddings (encoded now, or kept from an earlier job); None: no cache.
        `encode`: the encoder to use in place of the family's (A1111 weights, engines/prompts)."""
        encode = encode or family.encode_prompt
        if encode is None or not hasattr(pipe, "encode_prompt"):
            return None
        prompt, negative, cfg, options = _inputs(family, call)
        key: _Key = (
            getattr(encode, "__qualname__", repr(encode)),
            prompt,
            negative,
            cfg,
            tuple(sorted(options.items())),
        )
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return found
        found = encode_now(family, pipe, call, encode)
        with self._lock:
            self.misses += 1
            self._items[key] = found
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _inputs(family: ImageFamily, call: dict[str, Any]) -> tuple[str, str | None, bool, dict[str, Any]]:
    """What an encoder is given from a pipeline call: prompt, negative prompt, whether the negative branch
    runs (above a guidance threshold: 1 for most, 0 for Z-Image and Krea 2), and the encoding options."""
    cfg = family.negative_prompt and (call.get(family.guidance_param) or 0) > family.cfg_above
    options = {k: call[k] for k in _ENCODING_OPTIONS if call.get(k) is not None}
    return call["prompt"], call.get("negative_prompt"), cfg, options


def encode_now(family: ImageFamily, pipe: Any, call: dict[str, Any], encode: PromptEncoder) -> dict[str, Any]:
    """The call's prompt encoded by `encode`, without the cache (a job whose LoRAs change the text encoder)."""
    import torch

    prompt, negative, cfg, options = _inputs(family, call)
    with torch.no_grad():  # as the pipelines' own calls (inference tensors would refuse in-place ops)
        found = encode(pipe, prompt, negative, cfg, pipe._execution_device, options)
    return {k: v for k, v in found.items() if v is not None}


def with_embeddings(call: dict[str, Any], embeddings: dict[str, Any]) -> dict[str, Any]:
    """The pipeline call with the prompt's text replaced by its embeddings."""
    rest = {k: v for k, v in call.items() if k not in ("prompt", "negative_prompt")}
    return {**rest, **embeddings}
