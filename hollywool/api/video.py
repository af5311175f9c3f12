"""Video and upscale routes: text-to-video, image-to-video and upscale jobs, and their models.

Each job route is the one job system seen through one kind: create, list, get, cancel and retry
behave exactly as under /api/jobs.
"""

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, computed_field, model_validator

from hollywool.api.deps import get_studio
from hollywool.api.jobs import accepted, check_session
from hollywool.api.schemas import JobAccepted, Limit, Offset
from hollywool.engines.image.params import ReferenceImage
from hollywool.engines.upscale.engine import UpscaleParams
from hollywool.engines.video.params import I2VParams, VideoParams
from hollywool.engines.video.views import VideoModel
from hollywool.errors import NotFoundError
from hollywool.jobs.models import ACTIVE_STATUSES, JobPage, JobStatus, JobView
from hollywool.jobs.store import JobQuery
from hollywool.models.upscalers import UpscalerModel
from hollywool.studio import Studio

_PROVIDER_PARAMS = "fields only a remote model (`<provider>:<model id>`) has"


class VideoJobRequest(VideoParams):
    session_id: str | None = None
    provider_params: dict[str, Any] = Field(default_factory=dict, description=_PROVIDER_PARAMS)
    reference_images: list[ReferenceImage] = Field(
        default_factory=list,
        max_length=5,
        description="remote image-to-video models only (local image-to-video is /api/i2v/jobs)",
    )


class I2VJobRequest(I2VParams):
    session_id: str | None = None
    provider_params: dict[str, Any] = Field(default_factory=dict, description=_PROVIDER_PARAMS)

    @model_validator(mode="before")
    @classmethod
    def _seed_image_fields(cls, data: Any) -> Any:
        """The seed's single-image fields (`image_base64`, `image_asset_id`) become the first reference."""
        if isinstance(data, dict) and (data.get("image_base64") or data.get("image_asset_id")):
            data = dict(data)
            ref = {"image_base64": data.pop("image_base64", None), "image_asset_id": data.pop("image_asset_id", None)}
            data["reference_images"] = [{k: v for k, v in ref.items() if v}, *(data.get("reference_images") or [])]
        return data


class UpscaleJobRequest(UpscaleParams):
    session_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _seed_video_asset_id(cls, data: Any) -> Any:
        """The seed named the source `video_asset_id`."""
        if isinstance(data, dict) and "video_asset_id" in data and "asset_id" not in data:
            data = {**data, "asset_id": data["video_asset_id"]}
        return data


_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"description": "the job cannot fit in memory; `errors` holds needed_gb and free_gb"},
    422: {"description": "invalid parameters; the message names the nearest valid values"},
}


def job_routes(prefix: str, kind: str, request_model: type[BaseModel], summary: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=[kind])

    def _own(studio: Studio, job_id: str):  # noqa: ANN202
        job = studio.jobs.get(job_id)
        if job.kind != kind:
            raise NotFoundError(f"{kind} job {job_id} not found")
        return job

    @router.post(
        "", response_model=JobAccepted, status_code=201, responses=_ERRORS, summary=summary,
        operation_id=f"create_{kind}_job",
    )  # fmt: skip
    def create(body: request_model, studio: Studio = Depends(get_studio)) -> JobAccepted:  # type: ignore[valid-type]  # noqa: E501
        check_session(studio, body.session_id)
        job = studio.router.submit(kind, body.model_dump(), body.session_id)  # upscale jobs are always local
        return accepted(job, with_notes=False)  # these routes answered a local job "queued", without its notes

    @router.get("", response_model=JobPage, operation_id=f"list_{kind}_jobs")
    def list_jobs(
        session_id: str | None = None,
        status: list[JobStatus] | None = Query(None),
        active_only: bool = False,
        limit: Limit = 50,
        offset: Offset = 0,
        studio: Studio = Depends(get_studio),
    ) -> JobPage:
        query = JobQuery(
            status=list(ACTIVE_STATUSES) if active_only else status,
            kind=kind,
            session_id=session_id,
            limit=limit,
            offset=offset,
        )
        return studio.jobs.page(query)

    @router.get("/{job_id}", response_model=JobView, operation_id=f"get_{kind}_job")
    def get(job_id: str, studio: Studio = Depends(get_studio)) -> JobView:
        return studio.jobs.views.one(_own(studio, job_id))

    @router.post("/{job_id}/cancel", response_model=JobView, operation_id=f"cancel_{kind}_job")
    def cancel(job_id: str, studio: Studio = Depends(get_studio)) -> JobView:
        _own(studio, job_id)
        return studio.jobs.views.one(studio.jobs.cancel(job_id))

    @router.post("/{job_id}/retry", response_model=JobView, operation_id=f"retry_{kind}_job")
    def retry(job_id: str, studio: Studio = Depends(get_studio)) -> JobView:
        _own(studio, job_id)
        return studio.jobs.views.one(studio.jobs.retry(job_id))

    return router


models_router = APIRouter(tags=["video"])


@models_router.get("/api/video/models", response_model=list[VideoModel])
def video_models(studio: Studio = Depends(get_studio)) -> list[VideoModel]:
    """Video models with their rules: frame form and maximum, size multiple and maxima, fps, and which
    reference images each uses."""
    return studio.video_engine.video_models()


class UpscalerEntry(UpscalerModel):
    @computed_field  # the seed's field
    @property
    def description(self) -> str:
        where = "in the upscalers folder" if self.source == "folder" else "fetched on first use"
        scale = f"{self.scale}x " if self.scale else ""
        return f"{scale}{self.kind} upscaler, {where}"


class UpscalerList(BaseModel):
    models: list[UpscalerEntry]


@models_router.get("/api/upscale/models", response_model=UpscalerList, tags=["upscale"])
def upscale_models(studio: Studio = Depends(get_studio)) -> UpscalerList:
    """Catalogue upscalers (fetched on first use) and every model file in the upscalers folder."""
    return UpscalerList(models=[UpscalerEntry(**m.model_dump()) for m in studio.upscale_engine.models()])


routers = [
    job_routes("/api/video/jobs", "video", VideoJobRequest, "Text-to-video job"),
    job_routes(
        "/api/i2v/jobs",
        "i2v",
        I2VJobRequest,
        "Image-to-video job (CogVideoX I2V, LTX-2 and SVD use the first image as the first frame; "
        "Wan I2V uses the first as the first frame and a second as the last)",
    ),
    job_routes("/api/upscale/jobs", "upscale", UpscaleJobRequest, "Upscale an image or video asset 2x or 4x"),
    models_router,
]
