"""Identify local model files through Civitai's by-hash lookup, and flag newer versions.

A file Civitai does not know (the usual case for a LoRA trained at home) is not an error: the answer
says `known: false`. Hashes of local files are remembered by (path, size, mtime) for the process's
lifetime, so asking again about an unchanged multi-gigabyte checkpoint is instant.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from pydantic import BaseModel, Field

from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.integrations.civitai.client import CivitaiClient
from hollywool.integrations.civitai.mapping import CivitaiModel, CivitaiVersion

MODEL_SUFFIXES = (".safetensors", ".ckpt", ".pt", ".pth", ".bin", ".gguf", ".sft")


class Identification(BaseModel):
    sha256: str
    path: str | None = None
    known: bool = Field(description="whether Civitai knows a file with this hash")
    model_id: int | None = None
    model_name: str | None = None
    model_type: str | None = None
    version_id: int | None = None
    version_name: str | None = None
    base_model: str | None = None
    trained_words: list[str] = Field(default_factory=list)
    latest_version_id: int | None = None
    latest_version_name: str | None = None
    update_available: bool = Field(False, description="Civitai has a newer version of this model")


def newer_version(model: CivitaiModel, version_id: int) -> CivitaiVersion | None:
    """The model's newest version when it is newer than `version_id` (versions come newest first)."""
    if not model.versions or model.versions[0].id == version_id:
        return None
    latest = model.versions[0]
    if any(v.id == version_id for v in model.versions):
        return latest
    return latest if latest.id > version_id else None  # an unlisted version: ids grow over time


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest().upper()


class Identifier:
    def __init__(self, client: CivitaiClient):
        self.client = client
        self._hashes: dict[tuple[str, int, int], str] = {}
        self._lock = threading.Lock()

    def hash_file(self, path: Path) -> str:
        try:
            path = path.expanduser()
            is_file = path.is_file()
        except (OSError, ValueError, RuntimeError):  # a name too long, a NUL byte, an unknown ~user
            raise InvalidInputError("path: not a path the studio can open", field="path") from None
        if not is_file:
            raise NotFoundError(f"path: no file at {path}", field="path")
        if path.suffix.lower() not in MODEL_SUFFIXES:
            raise InvalidInputError(f"path: not a model file ({', '.join(MODEL_SUFFIXES)})", field="path")
        try:
            st = path.stat()
            key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        except OSError as exc:
            raise InvalidInputError(f"path: the file cannot be read ({exc.strerror})", field="path") from None
        with self._lock:
            known = self._hashes.get(key)
        if known:
            return known
        try:
            digest = sha256_of(path)
        except OSError as exc:
            raise InvalidInputError(f"path: the file cannot be read ({exc.strerror})", field="path") from None
        with self._lock:
            self._hashes[key] = digest
        return digest

    def identify(self, *, path: Path | None = None, sha256: str | None = None) -> Identification:
        if path is None and not sha256:
            raise InvalidInputError("give a file path or a SHA-256", field="path")
        digest = self.hash_file(path) if path is not None else sha256.strip().upper()
        version = self.client.by_hash(digest)
        result = Identification(sha256=digest, path=str(path) if path is not None else None, known=version is not None)
        if version is None:
            return result
        result.model_id = version.model_id
        result.model_name = version.model_name
        result.model_type = version.model_type
        result.version_id = version.id
        result.version_name = version.name
        result.base_model = version.base_model
        result.trained_words = version.trained_words
        if version.model_id is not None:
            self.flag_update(result, version.model_id, version.id)
        return result

    def flag_update(self, result: Identification, model_id: int, version_id: int) -> Identification:
        try:
            model = self.client.model(model_id)
        except NotFoundError:  # the model was taken down: nothing newer to offer
            return result
        result.model_name = result.model_name or model.name
        result.model_type = result.model_type or model.type
        newer = newer_version(model, version_id)
        if model.versions:
            result.latest_version_id = model.versions[0].id
            result.latest_version_name = model.versions[0].name
        result.update_available = newer is not None
        return result
