"""Control models and control maps: what the UI lists, and a preview of a control image's preprocessed form."""

from __future__ import annotations

import io

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.engines.image.control import make_map
from hollywool.engines.image.control_maps import BUILTIN
from hollywool.engines.image.params import ControlInput, ReferenceImage
from hollywool.errors import ConflictError, InvalidInputError, NotFoundError
from hollywool.jobs.events import Event
from hollywool.jobs.models import JobStatus
from hollywool.jobs.store import JobQuery
from hollywool.models.control_models import ControlCatalog, ControlModel
from hollywool.models.service import CONTROL_DOWNLOAD
from hollywool.studio import Studio

router = APIRouter(prefix="/api/control", tags=["control"])
PREVIEW_SIDE = 1024  # previews are made at most this large: the job makes its own map at its size


class ControlModelEntry(ControlModel):
    downloaded: bool = Field(description="its files are on this machine (else the first use fetches them)")


class Preprocessor(BaseModel):
    id: str
    name: str
    produces: str | None = Field(description="the control type of its maps; None: the image is used as it is")
    model: bool = Field(description="runs a model (fetched on first use) rather than plain image processing")
    downloaded: bool = Field(default=True, description="a model's files (and its detector's) are on this machine")
    size_gb: float = Field(default=0.0, description="a model's download size, with its detector's")


class ControlModels(BaseModel):
    controlnets: list[ControlModelEntry]
    preprocessors: list[Preprocessor]


_BUILTIN_NAMES = {"none": "None (a ready map)", "canny": "Canny", "tile": "Tile (blur)"}
_BUILTIN_PRODUCES = {"none": None, "canny": "canny", "tile": "tile"}


@router.get("/models", response_model=ControlModels)
def control_models(studio: Studio = Depends(get_studio)) -> ControlModels:
    """ControlNets (each with the model family it fits and the control types it follows) and preprocessors."""
    models = studio.models
    everything = models.controls.all()
    return ControlModels(
        controlnets=[
            ControlModelEntry(**m.model_dump(), downloaded=models.controls.is_downloaded(m))
            for m in everything
            if m.kind == "controlnet"
        ],
        preprocessors=[
            Preprocessor(id=p, name=_BUILTIN_NAMES[p], produces=_BUILTIN_PRODUCES[p], model=False) for p in BUILTIN
        ]  # fmt: skip
        + [_model_preprocessor(models.controls, m) for m in everything if m.kind == "preprocessor"],
    )


def _model_preprocessor(catalog: ControlCatalog, model: ControlModel) -> Preprocessor:
    needs = catalog.with_detector(model)
    return Preprocessor(
        id=model.id,
        name=model.name,
        produces=model.produces,
        model=True,
        downloaded=all(catalog.is_downloaded(m) for m in needs),
        size_gb=round(sum(m.size_gb for m in needs), 2),
    )


class PreprocessRequest(BaseModel):
    image: ReferenceImage
    preprocessor: str = Field(min_length=1, description="none, canny, tile, or a preprocessor model id")
    low_threshold: int = Field(100, ge=0, le=1000)
    high_threshold: int = Field(200, ge=0, le=1000)
    tile_factor: int = Field(4, ge=1, le=16)


class _Quiet:
    """What a preview reports while a preprocessor model loads: nothing (it is no job)."""

    job_id = "control-preview"

    def raise_if_cancelled(self) -> None:
        return None

    def set_stage(self, stage: str, message: str | None = None, *, total_steps: int = 0,
                  fraction: float | None = None) -> None:  # fmt: skip
        return None

    def progress(self, step: int, total: int, *, fraction: float | None = None, message: str | None = None) -> None:
        return None

    def publish(self, event: Event) -> None:
        return None


def _ready_or_downloading(studio: Studio, model: ControlModel) -> None:
    """Nothing when the preprocessor's files (and its detector's) are here; else a 409 naming the download job
    that fetches them, queued now unless one is already under way."""
    catalog = studio.models.controls
    missing = [m for m in catalog.with_detector(model) if not catalog.is_downloaded(m)]
    if not missing:
        return
    for local in (m for m in missing if m.path):
        raise InvalidInputError(
            f"preprocessor: {local.name} has no files at {local.path}: fix its `path` in config.yaml",
            field="preprocessor",
        )
    active, _ = studio.jobs.list(JobQuery(kind=CONTROL_DOWNLOAD, status=[JobStatus.queued, JobStatus.running]))
    job = next((j for j in active if j.params.get("model") == model.id), None)
    job = job or studio.jobs.submit(CONTROL_DOWNLOAD, {"model": model.id})
    size = sum(m.size_gb for m in missing)
    raise ConflictError(
        f"{model.name} is not downloaded yet; downloading it now{f' ({size:g} GB)' if size else ''}: try the "
        "preview again when the download finishes",
        field="preprocessor",
        detail={"download_job_id": job.id, "model": model.id},
    )


@router.post(
    "/preprocess",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "the control map as a PNG"},
        409: {
            "description": "the preprocessor model is not downloaded yet: a `control.download` job fetches it "
            "(`errors.download_job_id`); ask again when it has completed"
        },
    },
)
def preprocess(body: PreprocessRequest, studio: Studio = Depends(get_studio)) -> Response:
    """The control map a preprocessor makes of an image (a preview; jobs make their own at their size).
    canny and tile answer at once; a preprocessor model that is not downloaded yet is fetched by a download job
    on the queue first (a 409 naming the job), then loaded on first use."""
    if body.preprocessor not in BUILTIN:
        try:
            model = studio.models.controls.get(body.preprocessor, kind="preprocessor", field="preprocessor")
        except NotFoundError as exc:
            raise InvalidInputError(exc.message, field="preprocessor") from None
        _ready_or_downloading(studio, model)
    ref = studio.references.normalise_one(body.image, "image")
    image = studio.references.load(ref)
    image.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    control = ControlInput.model_validate(
        {
            "image": ref,
            "preprocessor": body.preprocessor,
            "low_threshold": body.low_threshold,
            "high_threshold": max(body.high_threshold, body.low_threshold),
            "tile_factor": body.tile_factor,
        }
    )
    made = make_map(studio.models, _Quiet(), control, image)
    buf = io.BytesIO()
    made.save(buf, format="PNG")
    return Response(buf.getvalue(), media_type="image/png")
