"""The model catalogue: entries shipped with the package plus the user's `<data dir>/config.yaml`.

A user entry pointing at a local folder or a single file works exactly like a shipped one; an entry
with the id of a shipped one overrides it field by field.
"""

from __future__ import annotations

import threading
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from hollywool.errors import NotFoundError

ModelType = Literal["flux", "sdxl", "sd", "sd3", "video", "ltx2", "wan", "mochi", "video-i2v", "wan-i2v", "svd"]
IMAGE_TYPES = ("flux", "sdxl", "sd", "sd3")
VIDEO_TYPES = ("video", "ltx2", "wan", "mochi", "video-i2v", "wan-i2v", "svd")


class ModelEntry(BaseModel):
    id: str
    name: str
    path: str = Field(description="Hugging Face repo id, local diffusers folder, or single .safetensors file")
    type: ModelType
    default_steps: int = 20
    default_guidance: float = 7.0
    category: Literal["fast", "quality", "specialized", "video"] = "quality"
    size_gb: float = 0.0
    memory_gb: float = 0.0
    tags: list[str] = Field(default_factory=list)
    description: str = ""
    gated: bool = False
    default_width: int | None = None
    default_height: int | None = None
    variant: str | None = None
    config: str | None = Field(
        None, description="diffusers config folder for a single-file checkpoint (default: the shipped one)"
    )
    extra: dict[str, Any] = Field(default_factory=dict)
    user_defined: bool = False

    @property
    def source(self) -> Literal["hub", "folder", "file"]:
        p = Path(self.path).expanduser()
        if p.is_file() or self.path.endswith((".safetensors", ".ckpt", ".sft")):
            return "file"
        if p.is_dir() or self.path.startswith(("/", "./", "~", "../")):
            return "folder"
        return "hub"

    @property
    def is_video(self) -> bool:
        return self.type in VIDEO_TYPES


def _read_entries(data: Any, origin: str, user: bool) -> dict[str, dict[str, Any]]:
    models = (data or {}).get("models") or {}
    if isinstance(models, list):  # a list of entries with an `id` each is accepted too
        models = {m["id"]: m for m in models}
    out = {}
    for model_id, fields in models.items():
        out[str(model_id)] = {**(fields or {}), "id": str(model_id), **({"user_defined": True} if user else {})}
    return out


class Catalog:
    def __init__(self, user_config: Path | None = None):
        self.user_config = user_config
        self._lock = threading.Lock()
        self._extra: dict[str, ModelEntry] = {}
        self._entries: dict[str, ModelEntry] = {}
        self.errors: list[str] = []
        self.reload()

    def reload(self) -> None:
        shipped = yaml.safe_load(resources.files("hollywool.catalog").joinpath("models.yaml").read_text())
        raw = _read_entries(shipped, "models.yaml", user=False)
        errors = []
        if self.user_config and self.user_config.exists():
            try:
                user = _read_entries(yaml.safe_load(self.user_config.read_text()), str(self.user_config), user=True)
            except (yaml.YAMLError, AttributeError, TypeError, KeyError) as exc:
                user = {}
                errors.append(f"{self.user_config}: {exc}")
            for model_id, fields in user.items():
                raw[model_id] = {**raw.get(model_id, {}), **fields}
        entries = {}
        for model_id, fields in raw.items():
            try:
                entries[model_id] = ModelEntry(**fields)
            except ValidationError as exc:
                errors.append(f"model {model_id}: {exc.errors()[0]['loc']} {exc.errors()[0]['msg']}")
        with self._lock:
            self._entries = entries
            self.errors = errors

    def register(self, entry: ModelEntry) -> None:
        """Add a model at run time (a Civitai download, a test's tiny model)."""
        with self._lock:
            self._extra[entry.id] = entry

    def unregister(self, model_id: str) -> None:
        with self._lock:
            self._extra.pop(model_id, None)

    def all(self) -> list[ModelEntry]:
        with self._lock:
            return list({**self._entries, **self._extra}.values())

    def find(self, model_id: str) -> ModelEntry | None:
        with self._lock:
            return self._extra.get(model_id) or self._entries.get(model_id)

    def get(self, model_id: str, *, kinds: tuple[str, ...] | None = None) -> ModelEntry:
        entry = self.find(model_id)
        if entry is None or (kinds and entry.type not in kinds):
            valid = sorted(e.id for e in self.all() if not kinds or e.type in kinds)
            raise NotFoundError(f"model: unknown model {model_id!r}; valid ids: {', '.join(valid)}", field="model")
        return entry
