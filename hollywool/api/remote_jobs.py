"""Routing a generation request whose model is `<provider>:<model id>` to the "remote" job kind.

The image and video job routes call `submit_remote` when `studio.remote.is_remote(model)`; the
request keeps the same fields as for a local model, plus `provider_params`. `reference_images`
(asset id or base64) become the model's input images; the remote job kind checks and stores them.
"""

from __future__ import annotations

from typing import Any

from hollywool.api.schemas import JobAccepted
from hollywool.errors import InvalidInputError

# Studio request fields a remote model understands (the rest are local-engine options).
_SHARED = ("prompt", "negative_prompt", "width", "height", "steps", "guidance_scale", "seed", "num_images",
           "image_url", "duration", "strength")  # fmt: skip
_LOCAL_ONLY = ("loras", "scheduler", "style", "seeds")


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


def submit_remote(studio, request: dict[str, Any], session_id: str | None) -> JobAccepted:  # noqa: ANN001
    job = studio.jobs.submit("remote", remote_params(request), session_id=session_id)
    provider = job.params["model"].split(":", 1)[0]
    notes = job.params.get("notes") or []
    return JobAccepted(job_id=job.id, status=job.status, message="; ".join([f"queued on {provider}", *notes]))
