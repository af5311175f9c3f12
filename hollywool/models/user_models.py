"""Models the user adds from a local folder or file: written into `<data dir>/config.yaml`, the same entries
a person writes by hand, so the catalogue reads them back exactly as it reads those (and after a restart).

Paths are confined as the model-folders API confines them: absolute, existing, used in place, never copied.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Any, cast

import yaml
from pydantic import BaseModel, Field, ValidationError

from hollywool.errors import ConflictError, InvalidInputError, NotFoundError
from hollywool.models import families
from hollywool.models.catalog import Catalog, ModelEntry, read_user_config
from hollywool.models.model_type import infer_type
from hollywool.models.split_files import recommended_sampling

_lock = threading.Lock()  # one writer of config.yaml at a time


class AddModelRequest(BaseModel):
    path: str = Field(description="absolute path of a local diffusers folder or a single weights file")
    name: str | None = Field(None, description="the name shown in the studio (default: the folder or file name)")
    id: str | None = Field(None, description="the catalogue id (default: made from the name)")
    type: str | None = Field(
        None, description="the model family's id; read from model_index.json or the file's keys when left out"
    )
    text_encoders: list[str] = Field(default_factory=list, description="text-encoder files (split files)")
    vae: str | None = Field(None, description="a VAE file (split files, or replacing a checkpoint's own)")
    parts: list[str] = Field(
        default_factory=list, description="files of further parts (split LTX-2: its audio VAE, text connectors)"
    )
    config: str | None = Field(
        None, description="a diffusers config folder for a single file (default: the one shipped for its family)"
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


def _local_path(raw: str, field: str, *, file: bool = False) -> Path:
    if not raw.strip():
        raise InvalidInputError(f"{field}: give the absolute path of a model folder or file", field=field)
    path = Path(raw).expanduser()
    if not path.is_absolute():
        raise InvalidInputError(f"{field}: {raw} is not an absolute path", field=field)
    if not path.exists():
        raise InvalidInputError(f"{field}: {raw} does not exist", field=field)
    if file and not path.is_file():
        raise InvalidInputError(f"{field}: {raw} is not a file", field=field)
    return path


def _fields(req: AddModelRequest) -> dict[str, Any]:
    """The config.yaml fields of the request, checked (a 422 naming the field otherwise)."""
    path = _local_path(req.path, "path")
    encoders = [str(_local_path(p, "text_encoders", file=True)) for p in req.text_encoders]
    vae = str(_local_path(req.vae, "vae", file=True)) if req.vae else None
    parts = [str(_local_path(p, "parts", file=True)) for p in req.parts]
    config = _local_path(req.config, "config") if req.config else None
    if config and not (config / "model_index.json").is_file():
        raise InvalidInputError(
            f"config: {config} is not a diffusers config folder (no model_index.json)", field="config"
        )
    if req.type:
        kind = families.canonical_type(req.type)
        if kind is None:
            known = ", ".join(families.REGISTRY.ids())
            raise InvalidInputError(f"type: no model family is called {req.type!r}; use one of {known}", field="type")
    else:
        kind = infer_type(str(path))
        if kind is None:
            what = "a diffusers folder (no model_index.json naming a known pipeline)"
            if path.is_file():
                what = "a model file whose family the studio recognises"
            raise InvalidInputError(f"path: {path} is not {what}; give `type` if it is a model", field="path")
    if path.is_dir() and not (path / "model_index.json").is_file():
        raise InvalidInputError(f"path: {path} has no model_index.json; is it a diffusers model folder?", field="path")
    fields: dict[str, Any] = {"name": req.name or path.stem, "path": str(path), "type": kind}
    if encoders:
        fields["text_encoders"] = encoders
    if vae:
        fields["vae"] = vae
    if parts:
        fields["parts"] = parts
    if config:
        fields["config"] = str(config)
    family = families.family(kind)
    if isinstance(family, families.VideoFamily):
        fields["category"] = "video"
    # The family's recommended sampling (Z-Image Turbo: 8 steps, no guidance), or its variant's (klein Base, distilled
    # LTX): an entry without them would start at the generic 20 steps and guidance 7.
    sampling = recommended_sampling(path, family)
    fields["default_steps"], fields["default_guidance"] = sampling.steps, sampling.guidance
    if sampling.call:
        fields["extra"] = {"call": dict(sampling.call)}
    return fields


def _without_id(fields: object) -> object:
    if not isinstance(fields, dict):
        return fields  # kept as written: the catalogue reports it as skipped
    return {k: v for k, v in cast(dict[str, object], fields).items() if k != "id"}


def _read(config: Path) -> dict[str, Any]:
    """config.yaml as a mapping to write back; a 409 when the file cannot be read safely."""
    if not config.exists():
        return {"models": {}}
    entries, error = read_user_config(config)
    if error:
        raise ConflictError(f"config.yaml: {error} Fix it before adding models here.", field="config")
    data: Any = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
    models = data.get("models")
    if isinstance(models, list):  # the list form is kept as a mapping from now on
        data["models"] = {mid: _without_id(fields) for mid, fields in entries}
    elif models is None:
        data["models"] = {}
    return data


def _write(config: Path, data: dict[str, Any]) -> None:
    """Atomically, keeping the previous file as config.yaml.bak (comments are not kept by a rewrite)."""
    config.parent.mkdir(parents=True, exist_ok=True)
    if config.exists():
        config.with_name(config.name + ".bak").write_bytes(config.read_bytes())
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    os.replace(tmp, config)


def add_model(catalog: Catalog, req: AddModelRequest) -> ModelEntry:
    config = catalog.user_config
    if config is None:
        raise ConflictError("this studio has no config.yaml to keep models in", field="config")
    fields = _fields(req)
    with _lock:
        data = _read(config)
        if req.id is not None:
            model_id = req.id.strip()
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", model_id):
                raise InvalidInputError("id: use letters, digits, '.', '_' and '-' (at most 100)", field="id")
            if catalog.find(model_id) or model_id in data["models"]:
                raise ConflictError(f"id: a model called {model_id!r} exists already; choose another id", field="id")
        else:
            model_id = base = _slug(fields["name"])
            n = 2
            while catalog.find(model_id) or model_id in data["models"]:
                model_id, n = f"{base}-{n}", n + 1
        try:  # the catalogue's own check, before anything is written
            ModelEntry.model_validate({**fields, "id": model_id, "user_defined": True})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "path"
            raise InvalidInputError(f"{field}: {err['msg']}", field=field) from None
        data["models"][model_id] = fields
        _write(config, data)
        catalog.reload()
    entry = catalog.find(model_id)
    if entry is None:  # reload skipped it: say why rather than answer a model that is not listed
        reason = next((s.reason for s in catalog.problems().skipped if s.id == model_id), "it was not usable")
        raise InvalidInputError(f"path: {reason}", field="path")
    return entry


def remove_model(catalog: Catalog, model_id: str) -> None:
    """Forget a model written in config.yaml (its files stay where they are)."""
    config = catalog.user_config
    with _lock:
        data: dict[str, Any] = _read(config) if config else {"models": {}}
        if model_id not in data["models"]:
            if catalog.find(model_id) is None:
                raise NotFoundError(f"model: unknown model {model_id!r}", field="model")
            raise ConflictError(
                f"model: {model_id} is not a model added here (it is shipped, from a models folder or Civitai)",
                field="model",
            )
        del data["models"][model_id]
        assert config is not None
        _write(config, data)
        catalog.reload()
