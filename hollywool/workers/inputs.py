"""A job's inputs travel with it: the studio reads them to bytes, the worker reads them from those bytes.

A worker (a local process or a Ray actor on another machine) then needs only the model folder, not the
studio's data folder: reference images, masks and control images (an upload or an image asset, wherever
they sit in the parameters), an upscale's source asset and the user's preferences all come in `RunJob`.
"""

from __future__ import annotations

import io
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from hollywool.engines.image.params import ReferenceImage
from hollywool.errors import NotFoundError, StudioError
from hollywool.media.assets import AssetService
from hollywool.media.references import ReferenceImages
from hollywool.storage.assets import Asset
from hollywool.storage.preferences import Preferences, PreferencesRepository


@dataclass(frozen=True)
class JobInputs:
    """Files a job reads, as bytes: images by `image_key`, source assets (an upscale's) by id."""

    images: dict[str, bytes] = field(default_factory=dict[str, bytes])
    assets: dict[str, tuple[Asset, bytes]] = field(default_factory=dict[str, tuple[Asset, bytes]])
    preferences: Preferences | None = None


def image_key(ref: ReferenceImage) -> str:
    return f"asset:{ref.image_asset_id}" if ref.image_asset_id else f"upload:{ref.upload_id}"


def _image_refs(value: Any) -> list[ReferenceImage]:
    """Every stored image reference in a job's parameters (references, a mask, control images, ...)."""
    if isinstance(value, list):
        return [ref for item in value for ref in _image_refs(item)]
    if not isinstance(value, dict):
        return []
    if value.get("upload_id") or value.get("image_asset_id"):
        return [ReferenceImage.model_validate(value)]
    return [ref for item in value.values() for ref in _image_refs(item)]


def gather_inputs(params: dict[str, Any], references: ReferenceImages, preferences: Preferences) -> JobInputs:
    """Read what a job with `params` will load (the studio's side). A missing file fails the job as it would
    have failed in the studio's own process."""
    assets = references.assets
    images: dict[str, bytes] = {}
    for ref in _image_refs(params):
        key = image_key(ref)
        if key not in images:
            path = assets.path_of(assets.get(ref.image_asset_id)) if ref.image_asset_id else None
            images[key] = (path or references.upload_file(ref.upload_id or "")).read_bytes()
    sources: dict[str, tuple[Asset, bytes]] = {}
    source_id = params.get("asset_id")  # an upscale's image or video
    if isinstance(source_id, str) and source_id:
        source = assets.get(source_id)
        sources[source_id] = (source, assets.path_of(source).read_bytes())
    return JobInputs(images, sources, preferences)


class ShippedInputs:
    """The worker's side: the inputs of the jobs it runs now, held while each runs."""

    def __init__(self, scratch: Path):
        self._scratch = scratch
        self._lock = threading.Lock()
        self._held: dict[str, JobInputs] = {}
        self._files: dict[str, Path] = {}
        self.preferences = Preferences.model_validate({})

    def set_preferences(self, preferences: Preferences) -> None:
        with self._lock:
            self.preferences = preferences

    def hold(self, job_id: str, inputs: JobInputs) -> None:
        folder = self._scratch / job_id
        files: dict[str, Path] = {}
        for asset_id, (asset, data) in inputs.assets.items():
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{asset_id}{Path(asset.path).suffix}"
            path.write_bytes(data)
            files[asset_id] = path
        with self._lock:
            self._held[job_id] = inputs
            self._files.update(files)
            if inputs.preferences is not None:
                self.preferences = inputs.preferences

    def release(self, job_id: str) -> None:
        with self._lock:
            inputs = self._held.pop(job_id, None)
            for asset_id in inputs.assets if inputs else ():
                self._files.pop(asset_id, None)
        shutil.rmtree(self._scratch / job_id, ignore_errors=True)

    def image(self, key: str) -> bytes:
        with self._lock:
            for inputs in self._held.values():
                if key in inputs.images:
                    return inputs.images[key]
        raise StudioError(f"The studio did not send the job's image {key}; submit the job again.")

    def asset(self, asset_id: str) -> tuple[Asset, Path]:
        with self._lock:
            for inputs in self._held.values():
                if asset_id in inputs.assets:
                    return inputs.assets[asset_id][0], self._files[asset_id]
        raise NotFoundError(f"asset {asset_id} not found")


class ShippedImages(ReferenceImages):
    """ReferenceImages whose `load` reads the bytes the job brought."""

    def __init__(self, inputs: ShippedInputs, assets: AssetService):
        super().__init__(Path("/nonexistent-uploads"), assets)
        self._inputs = inputs

    def load(self, ref: ReferenceImage) -> Image.Image:
        with Image.open(io.BytesIO(self._inputs.image(image_key(ref)))) as img:
            return img.convert("RGB")


class ShippedAssets(AssetService):
    """The source assets the job brought (an upscale's): `get` and `path_of` as the studio's AssetService."""

    def __init__(self, inputs: ShippedInputs):  # no repository and no outputs folder: writes go to the studio
        self._inputs = inputs

    def get(self, asset_id: str) -> Asset:
        return self._inputs.asset(asset_id)[0]

    def path_of(self, asset: Asset) -> Path:
        return self._inputs.asset(asset.id)[1]


class ShippedPreferences(PreferencesRepository):
    """The user's preferences as the studio last sent them (memory budget, model folders); read only."""

    def __init__(self, inputs: ShippedInputs):
        self._inputs = inputs

    def get(self) -> Preferences:
        return self._inputs.preferences

    def update(self, changes: dict[str, Any]) -> Preferences:
        raise StudioError("Preferences are changed in the studio, not on a GPU worker.")
