"""Which upscaler models exist: the shipped catalogue plus every model file in the upscalers folder.

A catalogue model is available once its file is in the folder (the first job fetches it from its
public release); a file the user drops there is listed under its file name and works if spandrel
recognises its architecture.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel

from hollywool.errors import NotFoundError, StudioError
from hollywool.media.files import atomic_path
from hollywool.models.reporting import LoadReport

MODEL_SUFFIXES = (".pth", ".pt", ".safetensors", ".ckpt", ".bin")


class UpscalerModel(BaseModel):
    id: str
    name: str
    kind: Literal["general", "anime", "video", "user"]
    scale: int | None = None  # known before loading for catalogue models
    filename: str
    url: str | None = None
    size_mb: float | None = None
    source: Literal["catalogue", "folder"]
    available: bool


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class UpscalerCatalog:
    def __init__(self, folder: Path):
        self.folder = folder
        self._registered: dict[str, tuple[UpscalerModel, Path]] = {}  # files elsewhere (a GPU worker's job's)

    def register(self, model: UpscalerModel, path: Path) -> None:
        """Known under its id from now on, its file at `path`."""
        self._registered[model.id] = (model, path)

    def _shipped(self) -> dict[str, dict[str, Any]]:
        data = yaml.safe_load(resources.files("hollywool.catalog").joinpath("upscalers.yaml").read_text())
        return data.get("upscalers") or {} if data else {}

    def all(self) -> list[UpscalerModel]:
        shipped = self._shipped()
        out = [
            UpscalerModel(id=mid, source="catalogue", available=(self.folder / fields["filename"]).is_file(), **fields)
            for mid, fields in shipped.items()
        ]
        known = {f["filename"] for f in shipped.values()}
        if self.folder.is_dir():
            for path in sorted(self.folder.iterdir()):
                if path.suffix.lower() in MODEL_SUFFIXES and path.is_file() and path.name not in known:
                    out.append(
                        UpscalerModel(
                            id=_slug(path.stem), name=path.stem, kind="user", filename=path.name,
                            source="folder", available=True,
                        )
                    )  # fmt: skip
        registered = [model for model, _ in self._registered.values()]
        return [m for m in out if m.id not in self._registered] + registered

    def get(self, model_id: str) -> UpscalerModel:
        for model in self.all():
            if model.id == model_id:
                return model
        valid = ", ".join(m.id for m in self.all())
        raise NotFoundError(f"model: unknown upscaler {model_id!r}; valid ids: {valid}", field="model")

    def path_of(self, model: UpscalerModel) -> Path:
        if model.id in self._registered:
            return self._registered[model.id][1]
        return self.folder / model.filename

    def fetch(self, model: UpscalerModel, ctx: LoadReport) -> Path:
        """The model's file, downloaded from its public release first when it is not in the folder."""
        path = self.path_of(model)
        if path.is_file():
            return path
        if not model.url:
            raise StudioError(f"{model.name} has no file in {self.folder} and no download source")
        import httpx

        ctx.set_stage("downloading", f"Downloading {model.name}")
        with atomic_path(path) as tmp, httpx.stream("GET", model.url, follow_redirects=True, timeout=60) as resp:
            if resp.status_code != 200:
                raise StudioError(f"could not download {model.name}: HTTP {resp.status_code} from {model.url}")
            total = int(resp.headers.get("content-length") or 0)
            done = 0
            with open(tmp, "wb") as fh:
                for chunk in resp.iter_bytes(1 << 20):
                    ctx.raise_if_cancelled()
                    fh.write(chunk)
                    done += len(chunk)
                    if total:
                        ctx.progress(done, total)
        return path
