"""The local diffusers engine seen through the provider interface, so a batch, the model list and
the job routes treat a local model and a remote one alike. Its "requests" are studio jobs."""

from __future__ import annotations

from typing import Any

from hollywool.engines.remote.provider import (
    CheckResult,
    Output,
    Provider,
    RemoteModel,
    RemoteResult,
    RemoteStatus,
    Submission,
)
from hollywool.errors import InvalidInputError

_CATEGORY = {"sd": "text-to-image", "sdxl": "text-to-image", "sd3": "text-to-image", "flux": "text-to-image"}
_STATES = {
    "queued": "queued",
    "running": "running",
    "completed": "completed",
    "failed": "failed",
    "cancelled": "cancelled",
}
_IMAGE_FIELDS = ("prompt", "negative_prompt", "width", "height", "steps", "guidance_scale", "seed", "num_images")


class LocalProvider(Provider):
    id = "local"
    name = "Local GPU"
    local = True

    def __init__(self, catalog, jobs):  # noqa: ANN001 - the diffusers catalogue and the job service
        self.catalog = catalog
        self.jobs = jobs

    def list_models(self) -> list[RemoteModel]:
        return [
            RemoteModel(
                id=e.id,
                provider=self.id,
                model_id=e.id,
                name=e.name,
                category=_CATEGORY.get(e.type, "text-to-video" if e.is_video else "other"),
                description=e.description,
                tags=list(e.tags),
            )
            for e in self.catalog.all()
        ]

    def get_model(self, model_id: str) -> RemoteModel:
        entry = self.catalog.find(model_id)
        if entry is None:
            raise InvalidInputError(f"model: unknown model {model_id!r}", field="model")
        return next(m for m in self.list_models() if m.model_id == entry.id)

    def validate(self, model: RemoteModel, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("provider_params"):
            raise InvalidInputError(
                "provider_params: local models take no provider parameters", field="provider_params"
            )
        body = {k: request[k] for k in _IMAGE_FIELDS if request.get(k) is not None}
        return {**body, "model": model.model_id}

    def submit(self, model: RemoteModel, body: dict[str, Any]) -> Submission:
        job = self.jobs.submit("image", body)
        return Submission(job.id, {"request_id": job.id})

    def status(self, handle: dict[str, Any]) -> RemoteStatus:
        job = self.jobs.get(handle["request_id"])
        return RemoteStatus(_STATES[str(job.status)], message=job.message, error=job.error)  # type: ignore[arg-type]

    def result(self, handle: dict[str, Any]) -> RemoteResult:
        view = self.jobs.views.one(self.jobs.get(handle["request_id"]))
        return RemoteResult([Output(m["url"], "image", width=m["width"], height=m["height"]) for m in view["images"]])

    def cancel(self, handle: dict[str, Any]) -> bool:
        self.jobs.cancel(handle["request_id"])
        return True

    def test_credentials(self) -> CheckResult:
        return CheckResult(True, "local models need no key")

    def estimate_usd(self, model: RemoteModel, body: dict[str, Any]) -> float | None:
        return 0.0
