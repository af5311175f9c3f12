"""Control models: ControlNets (each fits one base family), preprocessor models that make control maps, and the
detectors a preprocessor runs first (pose: the people in the photo).

The shipped catalogue (catalog/control.yaml) names public Hugging Face repos; a user adds local ones under
`control_models:` in <data dir>/config.yaml with the same fields and a `path` (a diffusers folder or a single
file). Files are fetched from the hub the first time a job or a preview needs them, into the hub cache.
"""

from __future__ import annotations

import logging
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from hollywool.errors import NotFoundError, StudioError, UnavailableError
from hollywool.models import families
from hollywool.models.hub import endpoint as hub_endpoint
from hollywool.models.hub import offline
from hollywool.models.hub_blobs import ByteProgress, ProgressFn, bytes_on_disk, fetch_blob
from hollywool.models.reporting import LoadReport

log = logging.getLogger(__name__)


PREPROCESSOR_MAPS = ("depth", "pose")  # the maps a preprocessor model can make


class ControlModel(BaseModel):
    id: str
    name: str
    kind: Literal["controlnet", "preprocessor", "detector"]
    base: str | None = Field(None, description="controlnet: the model family it fits (its `type`)")
    repo: str | None = Field(None, description="Hugging Face repo id the files come from")
    path: str | None = Field(None, description="a local diffusers folder or single file (instead of `repo`)")
    config_file: str = "config.json"
    weights_file: str = "diffusion_pytorch_model.safetensors"
    files: list[str] = Field(default_factory=list, description="files to fetch when not config + weights")
    single_file: bool = Field(False, description="the weights are one original-layout file (from_single_file)")
    model_class: str | None = Field(None, description="controlnet: the diffusers model class")
    modes: dict[str, int | None] = Field(
        default_factory=dict, description="controlnet: control types it follows, with a union model's index"
    )
    produces: str | None = Field(None, description="preprocessor: the control type of its maps (depth, pose)")
    detector: str | None = Field(None, description="preprocessor: the id of the person detector it runs first")
    size_gb: float = 0.0
    license: str = ""
    user_defined: bool = False

    @field_validator("base")
    @classmethod
    def _known_family(cls, value: str | None) -> str | None:
        if value is None:
            return None
        canonical = families.canonical_type(value)
        if canonical is None:
            raise ValueError(f"no model family is called {value!r}")
        return canonical

    @model_validator(mode="after")
    def _complete(self) -> ControlModel:
        if bool(self.repo) == bool(self.path):
            raise ValueError("give exactly one of repo or path")
        if self.kind == "controlnet" and (not self.base or not self.model_class):
            raise ValueError("a controlnet needs its `base` family and its `model_class`")
        if self.kind == "preprocessor" and self.produces not in PREPROCESSOR_MAPS:
            raise ValueError(f"a preprocessor needs `produces`: one of {', '.join(PREPROCESSOR_MAPS)}")
        if self.produces == "pose" and not self.detector:
            raise ValueError("a pose preprocessor needs its person `detector` (the id of a detector entry)")
        return self

    @property
    def fetch_files(self) -> list[str]:
        if self.files:
            return list(self.files)
        return [self.weights_file] if self.single_file else [self.config_file, self.weights_file]


def _shipped() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(resources.files("hollywool.catalog").joinpath("control.yaml").read_text())
    return data.get("control_models") or {} if data else {}


def _user(config: Path | None) -> dict[str, Any]:
    if config is None or not config.is_file():
        return {}
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}  # the models catalogue reports what is wrong with the file
    if not isinstance(data, dict):
        return {}
    found: Any = cast(dict[str, Any], data).get("control_models")
    return cast(dict[str, Any], found) if isinstance(found, dict) else {}


class ControlCatalog:
    def __init__(self, user_config: Path | None, links_dir: Path, hub: Any):
        self.user_config = user_config
        self.hub = hub
        self.links_dir = links_dir  # folders that give a repo's differently named files diffusers' names
        self._lock = threading.Lock()
        self._extra: dict[str, ControlModel] = {}

    def all(self) -> list[ControlModel]:
        out = {mid: ControlModel(id=mid, **fields) for mid, fields in _shipped().items()}
        for mid, fields in _user(self.user_config).items():
            try:
                out[str(mid)] = ControlModel.model_validate({**(fields or {}), "id": str(mid), "user_defined": True})
            except (ValidationError, TypeError) as exc:
                log.warning("Skipped control model %s in %s: %s", mid, self.user_config, exc)
        with self._lock:
            out.update(self._extra)
        detectors = {mid for mid, m in out.items() if m.kind == "detector"}
        for mid, m in list(out.items()):
            if m.detector and m.detector not in detectors:
                log.warning("Skipped control model %s: its detector %r is not a detector entry", mid, m.detector)
                del out[mid]
        return list(out.values())

    def register(self, model: ControlModel) -> None:
        with self._lock:
            self._extra[model.id] = model

    def get(self, model_id: str, *, kind: str | None = None, field: str = "model") -> ControlModel:
        for model in self.all():
            if model.id == model_id and (kind is None or model.kind == kind):
                return model
        valid = ", ".join(m.id for m in self.all() if kind is None or m.kind == kind)
        raise NotFoundError(f"{field}: unknown control model {model_id!r}; valid ids: {valid}", field=field)

    def for_family(self, family_type: str) -> list[ControlModel]:
        """The ControlNets made for a family: the user's own and downloaded ones first."""
        fitting = [m for m in self.all() if m.kind == "controlnet" and m.base == family_type]
        return sorted(fitting, key=lambda m: (not m.user_defined, not self.is_downloaded(m)))

    def with_detector(self, model: ControlModel) -> list[ControlModel]:
        """The model and the detector it runs first, if any: what it needs on this machine."""
        return [model, self.get(model.detector, kind="detector", field="detector")] if model.detector else [model]

    def is_downloaded(self, model: ControlModel) -> bool:
        if model.path:
            return Path(model.path).expanduser().exists()
        return all(self.hub.extra_file(model.repo, name) is not None for name in model.fetch_files)

    def fetch(self, model: ControlModel, ctx: LoadReport, report: ProgressFn | None = None) -> Path:
        """The model's local folder or file, its files fetched from the hub first when they are missing;
        `report(done_bytes, total_bytes)` as they arrive."""
        if model.path:
            return Path(model.path).expanduser()
        assert model.repo is not None
        cached = {name: self.hub.extra_file(model.repo, name) for name in model.fetch_files}
        paths = {name: found for name, found in cached.items() if found is not None}
        if len(paths) < len(cached):
            ctx.set_stage("downloading", f"Downloading {model.name}")
            # All of them, so that they share one snapshot (the files already here are linked, not fetched).
            paths = _download(model, model.fetch_files, self.hub.cache_dir, report or _quiet, self.hub.timeout_s)
        if model.single_file:
            return paths[model.weights_file]
        if model.files or (model.config_file, model.weights_file) == ("config.json", _DIFFUSERS_WEIGHTS):
            return paths[model.fetch_files[0]].parent
        # Another name for the config or weights (xinsir's `*_promax` files): link them under diffusers' names.
        folder = self.links_dir / model.id
        folder.mkdir(parents=True, exist_ok=True)
        for target, source in (
            ("config.json", paths[model.config_file]),
            (_DIFFUSERS_WEIGHTS, paths[model.weights_file]),
        ):
            link = folder / target
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(source.resolve())
        return folder


_DIFFUSERS_WEIGHTS = "diffusion_pytorch_model.safetensors"


def _quiet(_done: int, _total: int | None) -> None:
    return None


def _download(
    model: ControlModel, names: list[str], cache_dir: Path, report: ProgressFn, timeout_s: float
) -> dict[str, Path]:
    """Fetch `names` of the model's repo into the hub cache, resuming what an earlier attempt left (as hub
    models are fetched: `hub_blobs`); `report` sums the bytes of all of them."""
    # The hub client leaves some parameters of these untyped (a bare dict, tqdm).
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_download, hf_hub_url  # pyright: ignore[reportUnknownVariableType]
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError
    from huggingface_hub.file_download import repo_folder_name

    repo = model.repo or ""
    constants.HF_HUB_OFFLINE = offline()  # the hub client reads it once, at import
    if offline():
        raise UnavailableError(
            f"{model.name} ({repo}) is not downloaded and offline mode is on (HF_HUB_OFFLINE=1): unset "
            "HF_HUB_OFFLINE and restart the studio once to fetch it"
        )
    endpoint, token = hub_endpoint(), os.environ.get("HF_TOKEN") or None
    storage = cache_dir / repo_folder_name(repo_id=repo, repo_type="model")
    try:
        urls = {name: hf_hub_url(repo, name, endpoint=endpoint) for name in names}
        metas = [get_hf_file_metadata(url, token=token, timeout=timeout_s, endpoint=endpoint) for url in urls.values()]
        sizes = {m.etag: m.size for m in metas if m.etag and m.size is not None}
        on_disk = {etag: bytes_on_disk(storage, etag, size) for etag, size in sizes.items()}
        progress = ByteProgress(report, sum(sizes.values()) or None, on_disk)
        progress.add(0)
        out: dict[str, Path] = {}
        for name, url in urls.items():
            fetch_blob(storage, url, token=token, timeout=timeout_s, endpoint=endpoint, progress=progress)
            # The blob is in the cache now: this only links it into the snapshot (and records refs/main).
            out[name] = Path(hf_hub_download(repo, name, endpoint=endpoint, token=token, cache_dir=cache_dir))
        return out
    except GatedRepoError:
        raise StudioError(f"{repo} is gated: accept its licence on its Hugging Face page, then set HF_TOKEN") from None
    except RepositoryNotFoundError:
        raise StudioError(f"{repo} was not found on {endpoint} (or it is private: set HF_TOKEN)") from None
    except HfHubHTTPError as exc:
        raise UnavailableError(f"the hub refused {repo}: {exc}") from None
    except (OSError, TimeoutError) as exc:  # connection refused, DNS, timeouts
        raise UnavailableError(_unreachable(model, endpoint), detail=f"{exc.__class__.__name__}: {exc}") from None
    except Exception as exc:
        if exc.__class__.__module__.startswith(("httpx", "httpcore")):
            raise UnavailableError(_unreachable(model, endpoint), detail=f"{exc.__class__.__name__}: {exc}") from None
        raise


def _unreachable(model: ControlModel, endpoint: str) -> str:
    return (
        f"The model hub at {endpoint} cannot be reached, so {model.name} ({model.repo}) cannot be downloaded. "
        "Check the network connection (or HF_ENDPOINT), then retry."
    )


def load_control(model: ControlModel, location: Path, device: str, dtype: Any) -> Any:
    """A ControlNet module, a preprocessor (`DepthEstimator`, `PoseEstimator`) or a `PersonDetector`, on the device."""
    if model.kind != "controlnet":
        import transformers

        from hollywool.models.pose_estimation import PersonDetector, PoseEstimator

        auto: Any = transformers  # its Auto classes are typed loosely
        folder = str(location)
        if model.kind == "detector":
            detector = auto.AutoModelForObjectDetection.from_pretrained(folder, dtype=dtype)
            return PersonDetector(detector.to(device).eval(), auto.AutoImageProcessor.from_pretrained(folder))
        if model.produces == "pose":
            pose = auto.VitPoseForPoseEstimation.from_pretrained(folder, dtype=dtype)
            return PoseEstimator.from_folder(pose.to(device).eval(), location)
        estimator = auto.AutoModelForDepthEstimation.from_pretrained(folder, dtype=dtype)
        return DepthEstimator(estimator.to(device).eval(), auto.AutoImageProcessor.from_pretrained(folder))
    import diffusers

    cls = getattr(diffusers, model.model_class or "")
    if location.is_file():
        module = cls.from_single_file(str(location), torch_dtype=dtype)
    else:
        module = cls.from_pretrained(str(location), torch_dtype=dtype)
    return module.to(device).eval()


class DepthEstimator:
    """A depth model and its image processor: a photo in, a depth map out (near is bright)."""

    def __init__(self, model: Any, processor: Any):
        self.model = model
        self.processor = processor

    def __call__(self, image: Any) -> Any:
        import numpy as np
        import torch
        from PIL import Image

        inputs = self.processor(images=image.convert("RGB"), return_tensors="pt")
        inputs = {k: v.to(self.model.device, self.model.dtype) for k, v in inputs.items()}
        with torch.no_grad():
            out = self.model(**inputs)
        depth = self.processor.post_process_depth_estimation(out, target_sizes=[(image.height, image.width)])
        values = depth[0]["predicted_depth"].float().cpu().numpy()
        span = float(values.max() - values.min()) or 1.0
        gray = ((values - values.min()) / span * 255).round().astype(np.uint8)
        return Image.fromarray(gray).convert("RGB")
