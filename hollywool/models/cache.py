"""Loaded models (image and video pipelines, upscalers) kept in least-recently-used order under one budget.

Putting a model in evicts the least recently used ones until the new total fits the budget. A model
larger than the whole budget is still kept (alone), since the job needs it. Evicting only drops the
cache's reference: a job that is still using that pipeline keeps it alive until it ends.

Memory is counted per component, not per model: two pipelines that hold the same text encoder
(loaded once and shared, see `ComponentKey`) count it once, and it stays loaded while either does.
"""

from __future__ import annotations

import gc
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from hollywool.models.memory import MemoryPlan

ModelKind = Literal["pipeline", "upscaler", "control"]
# What makes two components the same weights: the resolved files they were read from, and the dtype.
ComponentKey = tuple[tuple[str, ...], str]


@dataclass
class Component:
    name: str  # the pipeline's name for it: "text_encoder", "vae", ...
    module: Any
    size_bytes: int
    key: ComponentKey | None = None  # set when it can be shared with another pipeline


@dataclass
class CachedModel:
    model_id: str
    pipe: Any  # a diffusers pipeline, or a spandrel descriptor for upscalers
    components: list[Component]
    placement: str
    device: str
    kind: ModelKind = "pipeline"
    loaded_at: float = field(default_factory=time.time)
    last_used: float = field(default_factory=time.time)
    default_scheduler: Any = None
    plan: MemoryPlan | None = None  # the precision and placement it was loaded with, and why
    # What jobs derive from the loaded model and keep with it: pipelines for other tasks made with
    # `from_pipe` (same modules, no copy), the prompt-embedding cache. They go when the model goes.
    variants: dict[str, Any] = field(default_factory=dict[str, Any])

    @property
    def size_bytes(self) -> int:
        return sum(c.size_bytes for c in self.components)

    def variant(self, name: str, make: Callable[[], Any]) -> Any:
        """The derived object `name`, made on first use and kept with the model."""
        found = self.variants.get(name)
        if found is None:
            found = self.variants[name] = make()
        return found

    def info(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "kind": self.kind,
            "size_gb": round(self.size_bytes / 1024**3, 4),
            "size_bytes": self.size_bytes,
            "placement": self.placement,
            "device": self.device,
            "loaded_at": self.loaded_at,
            "last_used": self.last_used,
            "shared_components": [c.name for c in self.components if c.key is not None and c.size_bytes == 0],
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

    def peek(self, model_id: str) -> CachedModel | None:
        """The cached model without counting it as used."""
        with self._lock:
            return self._items.get(model_id)

    def shared_component(self, key: ComponentKey) -> tuple[Component, CachedModel] | None:
        """A loaded component with these weights and the cached model that holds (and counts) it."""
        with self._lock:
            for item in self._items.values():
                for c in item.components:
                    if c.key == key and c.size_bytes:
                        return c, item
        return None

    def make_room(self, size_bytes: int, keep: str | None = None) -> list[str]:
        """Evict least recently used models until `size_bytes` more would fit the budget."""
        budget = self._budget()
        evicted: list[str] = []
        with self._lock:
            while self._items and self._used() + size_bytes > budget:
                oldest = next(iter(self._items))
                if oldest == keep:
                    break
                self._release(self._items.pop(oldest))
                evicted.append(oldest)
        self._after_evict(evicted, "memory budget")
        return evicted

    def put(self, item: CachedModel) -> list[str]:
        evicted = self.make_room(item.size_bytes)
        with self._lock:
            self._items[item.model_id] = item
        return evicted

    def remove(self, model_id: str | None = None, reason: str = "unloaded", kind: ModelKind | None = None) -> list[str]:
        with self._lock:
            ids = [model_id] if model_id else [i for i, m in self._items.items() if kind is None or m.kind == kind]
            gone: list[str] = []
            for i in ids:
                item = self._items.pop(i, None)
                if item is not None:
                    self._release(item)
                    gone.append(i)
        self._after_evict(gone, reason)
        return gone

    def _release(self, item: CachedModel) -> None:
        """A shared component leaving with `item` is now counted (and held) by another model that uses it."""
        for c in item.components:
            if c.key is None or not c.size_bytes:
                continue
            for other in self._items.values():
                heir = next((o for o in other.components if o.key == c.key and not o.size_bytes), None)
                if heir is not None:
                    heir.size_bytes = c.size_bytes
                    break

    def _used(self) -> int:
        return sum(i.size_bytes for i in self._items.values())

    def used_bytes(self) -> int:
        with self._lock:
            return self._used()

    def ids(self, kind: ModelKind | None = "pipeline") -> list[str]:
        with self._lock:
            return [i for i, m in self._items.items() if kind is None or m.kind == kind]

    def models(self) -> list[CachedModel]:
        """Every cached model (pipelines and upscalers), least recently used first."""
        with self._lock:
            return list(self._items.values())

    def status(self) -> dict[str, Any]:
        with self._lock:
            used = self._used()
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
