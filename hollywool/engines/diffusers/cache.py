"""Loaded pipelines kept in least-recently-used order under a memory budget.

Putting a model in evicts the least recently used ones until the new total fits the budget. A model
larger than the whole budget is still kept (alone), since the job needs it. Evicting only drops the
cache's reference: a job that is still using that pipeline keeps it alive until it ends.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hollywool.engines.diffusers.prompt_cache import PromptCache


@dataclass
class CachedModel:
    model_id: str
    pipe: Any
    size_bytes: int
    largest_component_bytes: int
    placement: str
    device: str
    loaded_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    default_scheduler: Any = None
    variants: dict[str, Any] = field(default_factory=dict)  # image-to-image pipeline made with from_pipe
    prompts: PromptCache = field(default_factory=PromptCache)  # text embeddings of recent prompts

    def info(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "size_gb": round(self.size_bytes / 1024**3, 4),
            "size_bytes": self.size_bytes,
            "placement": self.placement,
            "device": self.device,
            "loaded_at": self.loaded_at,
            "last_used": self.last_used,
        }


class ModelCache:
    def __init__(self, budget_bytes: Callable[[], int], on_evict: Callable[[str, str], None]):
        self._budget = budget_bytes
        self._on_evict = on_evict
        self._lock = threading.Lock()
        self._items: OrderedDict[str, CachedModel] = OrderedDict()

    def get(self, model_id: str) -> CachedModel | None:
        with self._lock:
            item = self._items.get(model_id)
            if item is not None:
                self._items.move_to_end(model_id)
                item.last_used = time.time()
            return item

    def make_room(self, size_bytes: int, keep: str | None = None) -> list[str]:
        """Evict least recently used models until `size_bytes` more would fit the budget."""
        budget = self._budget()
        evicted = []
        with self._lock:
            while self._items and self.used_bytes() + size_bytes > budget:
                oldest = next(iter(self._items))
                if oldest == keep:
                    break
                self._items.pop(oldest)
                evicted.append(oldest)
        self._after_evict(evicted, "memory budget")
        return evicted

    def put(self, item: CachedModel) -> list[str]:
        evicted = self.make_room(item.size_bytes)
        with self._lock:
            self._items[item.model_id] = item
        return evicted

    def remove(self, model_id: str | None = None, reason: str = "unloaded") -> list[str]:
        with self._lock:
            ids = [model_id] if model_id else list(self._items)
            gone = [i for i in ids if self._items.pop(i, None) is not None]
        self._after_evict(gone, reason)
        return gone

    def used_bytes(self) -> int:
        return sum(i.size_bytes for i in self._items.values())

    def ids(self) -> list[str]:
        with self._lock:
            return list(self._items)

    def infos(self) -> list[dict[str, Any]]:
        with self._lock:
            return [i.info() for i in self._items.values()]

    def status(self) -> dict[str, Any]:
        with self._lock:
            used = self.used_bytes()
            models = [i.info() for i in self._items.values()]
        budget = self._budget()
        return {"budget_bytes": budget, "used_bytes": used, "free_bytes": max(budget - used, 0), "models": models}

    def _after_evict(self, ids: list[str], reason: str) -> None:
        if not ids:
            return
        gc.collect()
        _empty_device_cache()
        for model_id in ids:
            self._on_evict(model_id, reason)


def _empty_device_cache() -> None:
    import sys

    torch = sys.modules.get("torch")  # never import torch just to free memory
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()
