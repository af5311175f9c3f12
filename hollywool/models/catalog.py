"""The model catalogue: entries shipped with the package plus the user's `<data dir>/config.yaml`.

A user entry pointing at a local folder or a single file works exactly like a shipped one; an entry
with the id of a shipped one overrides it field by field.
"""

from __future__ import annotations

import logging
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeGuard

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from hollywool.errors import NotFoundError
from hollywool.models import families

log = logging.getLogger(__name__)


def _family_ids() -> str:
    return ", ".join(families.REGISTRY.ids())


class HubFiles(BaseModel):
    """Split files in a hub repository (the entry's `path`), named by their paths in it, as the Comfy-Org
    repackaged repositories publish them: only these files are downloaded, and the model is assembled from them
    as from the same files on disk."""

    model: str = Field(description="the diffusion-model file")
    text_encoders: list[str] = Field(default_factory=list, description="text-encoder (and image-encoder) files")
    vae: str | None = Field(None, description="the VAE file")

    def names(self) -> list[str]:
        return [self.model, *self.text_encoders, *([self.vae] if self.vae else [])]


class ModelEntry(BaseModel):
    id: str
    name: str
    path: str = Field(
        description="Hugging Face repo id, local diffusers folder, or a single file: a whole checkpoint or a "
        "diffusion model (.safetensors, fp8 included, or .gguf)"
    )
    type: str = Field(
        description="the model family's id (GET /api/models/families lists them); aliases are accepted; "
        "read from the files when left out (a folder's model_index.json, a single file's keys)"
    )
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
    text_encoders: list[str] = Field(
        default_factory=list,
        description="text-encoder files for a diffusion-model-only file (ComfyUI's text_encoders/)",
    )
    vae: str | None = Field(
        None, description="a VAE file: needed by a diffusion-model-only file, replaces a checkpoint's own"
    )
    parts: list[str] = Field(
        default_factory=list,
        description="files of further parts a diffusion-model-only file needs (LTX-2's audio VAE with its vocoder, its "
        "text connectors), told by their keys",
    )
    files: HubFiles | None = Field(
        None, description="split files in the hub repository `path` (the model is assembled from them)"
    )
    extra: dict[str, Any] = Field(default_factory=dict)
    user_defined: bool = False

    @model_validator(mode="before")
    @classmethod
    def _read_type(cls, data: Any) -> Any:
        """A local folder or file without `type` says its family itself (model_index.json, its keys)."""
        if _is_mapping(data) and not data.get("type") and isinstance(data.get("path"), str):
            from hollywool.models.model_type import infer_type

            found = infer_type(str(data["path"]))
            if found:
                return {**data, "type": found}
        return data

    @model_validator(mode="before")
    @classmethod
    def _read_sampling(cls, data: Any) -> Any:
        """A single file of a variant with its own sampling (LTX-2's distilled checkpoints, told by name) gets it when
        the entry gives no `default_steps`: its steps, guidance and further pipeline arguments (`extra.call`)."""
        if not (_is_mapping(data) and "default_steps" not in data and isinstance(data.get("path"), str)):
            return data
        path = Path(data["path"]).expanduser()
        if path.suffix not in (".safetensors", ".gguf", ".sft") or not path.is_file():
            return data
        from hollywool.models.split_files import file_sampling

        sampling = file_sampling(path)
        if sampling is None:
            return data
        given = data.get("extra")
        if given is not None and not _is_mapping(given):
            return data  # validation says what is wrong with it
        extra: dict[str, Any] = dict(given or {})
        if sampling.call:
            extra.setdefault("call", dict(sampling.call))
        return {**data, "default_steps": sampling.steps, "default_guidance": data.get("default_guidance",
                sampling.guidance), "extra": extra}  # fmt: skip

    @field_validator("type")
    @classmethod
    def _known_family(cls, value: str) -> str:
        canonical = families.canonical_type(value)
        if canonical is None:
            raise ValueError(f"no model family is called {value!r}")
        return canonical

    @property
    def source(self) -> Literal["hub", "folder", "file"]:
        p = Path(self.path).expanduser()
        if p.is_file() or self.path.endswith((".safetensors", ".ckpt", ".sft", ".gguf")):
            return "file"
        if p.is_dir() or self.path.startswith(("/", "./", "~", "../")):
            return "folder"
        return "hub"

    @property
    def model_path(self) -> str:
        """What names the model itself: `path`, or for split files in a hub repository the diffusion-model file's."""
        return self.files.model if self.files else self.path

    @property
    def family(self) -> families.Family:
        found = families.family(self.type)
        assert found is not None  # the validator admitted only registered families
        return found

    @property
    def is_video(self) -> bool:
        return isinstance(self.family, families.VideoFamily)


class Skipped(BaseModel):
    """A config.yaml entry the studio could not use, and why."""

    id: str
    reason: str


class ConfigProblems(BaseModel):
    path: str | None = Field(description="the user's config.yaml")
    errors: list[str] = Field(description="problems with the file as a whole (it was not read)")
    skipped: list[Skipped] = Field(description="entries left out of the catalogue")


_KINDS: dict[type[Any], str] = {list: "a list", str: "text", bool: "true/false", type(None): "empty"}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), "a number")


# YAML gives untyped values; these narrow them for the type checker as `isinstance` would.
def _is_mapping(value: object) -> TypeGuard[dict[Any, Any]]:
    return isinstance(value, dict)


def _is_list(value: object) -> TypeGuard[list[Any]]:
    return isinstance(value, list)


def _read_entries(data: Any) -> dict[str, dict[str, Any]]:
    """The shipped catalogue's entries (trusted)."""
    models: dict[Any, Any] = data.get("models") or {} if data else {}
    return {str(k): {**(v or {}), "id": str(k)} for k, v in models.items()}


def read_user_config(path: Path) -> tuple[list[tuple[str, Any]], str | None]:
    """(model id, fields as written) for each entry of the user's config.yaml, or a sentence saying why
    the file cannot be read. The file is the user's: nothing in it may stop the studio from starting."""
    if path.is_dir():
        return [], f"{path} is a folder, not a file; the studio uses only its shipped models until it is a YAML file."
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return [], f"{path} is not valid UTF-8 text (byte {exc.start}); save it as UTF-8. It was not read."
    except OSError as exc:
        return [], f"{path} could not be read ({exc.strerror or exc}). It was not read."
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return [], f"{path} is not valid YAML: {exc.problem or exc.context}{where}. It was not read."
    except yaml.YAMLError as exc:
        return [], f"{path} is not valid YAML ({exc}). It was not read."
    if data is None:
        return [], None
    if not _is_mapping(data):
        return [], f"{path} should be a mapping with a `models:` section; it is {_kind(data)}. It was not read."
    models = data.get("models")
    if models is None:
        return [], f"{path} has no `models:` section; nothing was read from it."
    if _is_list(models):  # a list of entries with an `id` each is accepted too
        return [
            (str(m["id"]) if _is_mapping(m) and m.get("id") is not None else f"models[{i}]", m)
            for i, m in enumerate(models)
        ], None
    if not _is_mapping(models):
        return [], f"{path}: `models:` should map model ids to entries; it is {_kind(models)}. It was not read."
    return [(str(k), v) for k, v in models.items()], None


def _why_invalid(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "entry"
    if field == "type":
        kinds = _family_ids()
        if err["type"] == "missing":
            return f"it has no `type`; give one of {kinds}"
        return f"type {err.get('input')!r} is not one a model can have; use one of {kinds}"
    if err["type"] == "missing":
        return f"it has no `{field}`"
    return f"{field}: {err['msg']}"


def _missing_path(entry: ModelEntry) -> str | None:
    if entry.source != "hub" and not Path(entry.path).expanduser().exists():
        return f"path {entry.path} does not exist"
    named = [("text_encoders", p) for p in entry.text_encoders] + ([("vae", entry.vae)] if entry.vae else [])
    named += [("parts", p) for p in entry.parts]
    for field, path in named:
        if not Path(path).expanduser().is_file():
            return f"{field}: {path} is not a file"
    return None


class Catalog:
    def __init__(self, user_config: Path | None = None):
        self.user_config = user_config
        self._lock = threading.Lock()
        self._extra: dict[str, ModelEntry] = {}
        self._entries: dict[str, ModelEntry] = {}
        self.errors: list[str] = []
        self.skipped: list[Skipped] = []
        self.reload()

    def reload(self) -> None:
        shipped = yaml.safe_load(resources.files("hollywool.catalog").joinpath("models.yaml").read_text())
        entries = {model_id: ModelEntry(**fields) for model_id, fields in _read_entries(shipped).items()}
        errors: list[str] = []
        skipped: list[Skipped] = []
        if self.user_config and (self.user_config.exists() or self.user_config.is_symlink()):
            user, error = read_user_config(self.user_config)
            errors += [error] if error else []
            for model_id, fields in user:
                if not isinstance(fields, dict):
                    reason = f"the entry is {_kind(fields)}, not a mapping of fields (name, path, type, ...)"
                    skipped.append(Skipped(id=model_id, reason=reason))
                    continue
                base = entries[model_id].model_dump() if model_id in entries else {}
                try:
                    entry = ModelEntry.model_validate({**base, **fields, "id": model_id, "user_defined": True})
                except ValidationError as exc:
                    skipped.append(Skipped(id=model_id, reason=_why_invalid(exc)))
                    continue
                missing = _missing_path(entry)
                if missing:
                    skipped.append(Skipped(id=model_id, reason=missing))
                    continue
                entries[model_id] = entry
        for error in errors:
            log.warning("%s The studio runs with its shipped models.", error)
        for s in skipped:
            log.warning("Skipped a model in %s: %s: %s", self.user_config, s.id, s.reason)
        with self._lock:
            self._entries = entries
            self.errors = errors
            self.skipped = skipped

    def problems(self) -> ConfigProblems:
        with self._lock:
            path = str(self.user_config) if self.user_config else None
            return ConfigProblems(path=path, errors=list(self.errors), skipped=list(self.skipped))

    def register(self, entry: ModelEntry) -> None:
        """Add a model at run time (a Civitai download, a test's tiny model)."""
        with self._lock:
            self._extra[entry.id] = entry

    def unregister(self, model_id: str) -> None:
        with self._lock:
            self._extra.pop(model_id, None)

    def swap(self, old_ids: list[str], entries: list[ModelEntry]) -> None:
        """Unregister `old_ids` and register `entries` in one step: a reader never sees the list between the two (a
        models folder scanned again while the model list is read)."""
        with self._lock:
            for model_id in old_ids:
                self._extra.pop(model_id, None)
            self._extra.update({e.id: e for e in entries})

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
