"""Where a generation runs, decided in one place by its model id.

`<provider>:<model id>` for a known provider (fal, krea, higgsfield) runs as the "remote" job kind on
that provider; any other id is a local model and runs as the route's own kind ("image", "video",
"i2v"). The image and video job routes and bulk batches all go through `GenerationRouter`. A remote
request keeps the local fields, plus `provider_params`; `reference_images` (asset id or base64)
become the model's input images, which the remote job kind checks and stores. A `style` preset is
kept as the id, and the remote job kind applies it to the prompts it sends, as the local engine does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hollywool.errors import InvalidInputError

if TYPE_CHECKING:
    from hollywool.engines.remote.job import RemoteEngine
    from hollywool.jobs.models import Job
    from hollywool.jobs.service import JobService

REMOTE_KIND = "remote"
GENERATION_KINDS = ("image", "video", "i2v")  # the local kinds a remote model can stand in for

# Studio request fields a remote model understands (the rest are local-engine options).
_SHARED = ("prompt", "negative_prompt", "width", "height", "steps", "guidance_scale", "seed", "num_images",
           "image_url", "duration", "strength", "style")  # fmt: skip
_LOCAL_ONLY = ("loras", "scheduler", "seeds")
_NOT_PARAMS = ("session_id", "provider_params")  # request fields a local job kind does not take


@dataclass(frozen=True)
class Route:
    kind: str  # the job kind to submit
    provider: str | None = None  # the remote provider, None for a local model

    @property
    def remote(self) -> bool:
        return self.provider is not None


class GenerationRouter:
    def __init__(self, jobs: JobService, remote: RemoteEngine):
        self.jobs = jobs
        self.remote = remote

    def route(self, kind: str, model: str) -> Route:
        """The job kind for a generation of `kind` ("image", "video", "i2v") on `model`."""
        if kind in GENERATION_KINDS and self.remote.is_remote(model):
            return Route(REMOTE_KIND, provider=model.split(":", 1)[0])
        return Route(kind)

    def params(self, route: Route, request: dict[str, Any]) -> dict[str, Any]:
        """The routed job kind's params from a generation request (the route's fields)."""
        return remote_params(request) if route.remote else local_params(route.kind, request)

    def submit(self, kind: str, request: dict[str, Any], session_id: str | None = None) -> Job:
        route = self.route(kind, request["model"])
        return self.jobs.submit(route.kind, self.params(route, request), session_id=session_id)


def remote_params(request: dict[str, Any]) -> dict[str, Any]:
    for name in _LOCAL_ONLY:
        if request.get(name):
            raise InvalidInputError(f"{name}: remote models do not take {name}; use provider_params", field=name)
    params = {k: request[k] for k in _SHARED if request.get(k) is not None}
    if request.get("reference_images"):
        params["reference_images"] = request["reference_images"]
    elif not params.get("image_url"):
        params.pop("strength", None)  # the local form always sends one; it only means something with an image
    params["model"] = request["model"]
    params["provider_params"] = request.get("provider_params") or {}
    return params


def local_params(kind: str, request: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in request.items() if k not in _NOT_PARAMS}
    # The video route takes images for remote image-to-video models only.
    if kind == "video" and params.pop("reference_images", None):
        raise InvalidInputError(
            "reference_images: local text-to-video models take no images; use /api/i2v/jobs",
            field="reference_images",
        )
    return params
