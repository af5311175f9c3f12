"""OpenAI's Images API under /v1, for Open WebUI, SillyTavern, editors and scripts (see compat/openai_images.py).

Errors under /v1 are OpenAI's error object with OpenAI's status codes (the app's handlers call `openai_error`);
the studio's token is the API key (`Authorization: Bearer`), and any key is accepted when no token is set.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from hollywool.api.deps import get_studio
from hollywool.compat.openai_images import (
    ImageGenerationRequest,
    ImagesResponse,
    OpenAIImages,
    OpenAIModelList,
)
from hollywool.compat.openai_stream import ImageStream
from hollywool.errors import InvalidInputError
from hollywool.media.references import MAX_BYTES
from hollywool.studio import Studio

PREFIX = "/v1"
router = APIRouter(prefix=PREFIX, tags=["openai"])

_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_error",
}
_CODES = {401: "invalid_api_key", 404: "model_not_found", 429: "rate_limit_exceeded"}


def openai_error(status: int, message: str, param: str | None = None) -> JSONResponse:
    """OpenAI's error object. The studio's 409 (memory) and 422 (a field) are OpenAI's 400 invalid request."""
    if status in (409, 413, 422):
        status = 400
    elif status not in _TYPES:
        status = 500
    error = {"message": message, "type": _TYPES.get(status, "server_error"), "param": param, "code": _CODES.get(status)}
    return JSONResponse({"error": error}, status_code=status)


def _service(studio: Studio = Depends(get_studio)) -> OpenAIImages:
    return OpenAIImages(studio)


@router.get("/models", response_model=OpenAIModelList)
def list_models(service: OpenAIImages = Depends(_service)) -> OpenAIModelList:
    """Every image model the studio runs, local and remote, as OpenAI model objects."""
    return service.models()


async def _streamed(
    service: OpenAIImages, body: ImageGenerationRequest, params: dict[str, Any], prefix: str
) -> Response:
    events = await ImageStream(service, body, prefix).start(params, body.n)
    return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})


@router.post(
    "/images/generations",
    response_model=ImagesResponse,
    response_model_exclude_none=True,
    responses={200: {"content": {"text/event-stream": {}}, "description": "with stream: true, OpenAI's events"}},
)
async def generate(
    body: ImageGenerationRequest, request: Request, service: OpenAIImages = Depends(_service)
) -> ImagesResponse | Response:
    model = await run_in_threadpool(service.resolve_model, body.model)
    params = await run_in_threadpool(service.params, body, model)
    if body.stream:
        return await _streamed(service, body, params, "image_generation")
    jobs = await service.run(params, body.n)
    return await run_in_threadpool(service.answer, jobs, body, str(request.base_url))


@router.post(
    "/images/edits",
    response_model=ImagesResponse,
    response_model_exclude_none=True,
    responses={200: {"content": {"text/event-stream": {}}, "description": "with stream: true, OpenAI's events"}},
)
async def edit(
    request: Request,
    prompt: Annotated[str, Form()],
    model: Annotated[str | None, Form()] = None,
    n: Annotated[int, Form(ge=1, le=10)] = 1,
    size: Annotated[str | None, Form()] = "auto",
    quality: Annotated[str | None, Form()] = "auto",
    response_format: Annotated[str | None, Form()] = None,
    output_format: Annotated[str | None, Form()] = "png",
    background: Annotated[str | None, Form()] = "auto",
    stream: Annotated[bool, Form()] = False,
    partial_images: Annotated[int | None, Form(ge=0, le=3)] = None,
    mask: UploadFile | None = None,
    service: OpenAIImages = Depends(_service),
) -> ImagesResponse | Response:
    """OpenAI's multipart edit: `image` (one, or several as `image[]`), an optional `mask` (transparent pixels:
    what to change) -> inpaint, the model's edit, or image-to-image."""
    form = await request.form()
    uploads = [f for key in ("image", "image[]") for f in form.getlist(key) if not isinstance(f, str)]
    if not uploads:
        raise InvalidInputError("image: give the image to edit", field="image")
    try:
        body = ImageGenerationRequest(
            prompt=prompt,
            model=model,
            n=n,
            size=size,
            quality=quality,  # type: ignore[arg-type]  # checked by the model
            response_format=response_format,  # type: ignore[arg-type]
            output_format=output_format,  # type: ignore[arg-type]
            background=background,  # type: ignore[arg-type]
            stream=stream,
            partial_images=partial_images,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InvalidInputError(f"{field}: {err['msg']}", field=field) from None
    images = [await f.read(MAX_BYTES + 1) for f in uploads]
    mask_bytes = await mask.read(MAX_BYTES + 1) if mask is not None else None
    resolved = await run_in_threadpool(service.resolve_model, body.model)
    params = await run_in_threadpool(service.edit_params, body, resolved, images, mask_bytes)
    if body.stream:
        return await _streamed(service, body, params, "image_edit")
    jobs = await service.run(params, body.n)
    return await run_in_threadpool(service.answer, jobs, body, str(request.base_url))
