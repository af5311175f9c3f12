"""Automatic1111's API under /sdapi/v1 (see compat/a1111.py): the routes Open WebUI, SillyTavern and webuiapi use.

Errors are A1111's (FastAPI's): a 422 lists the invalid fields as `{"detail": [{"loc", "msg", "type"}]}`, other
errors are `{"detail": message}` (the app's handlers call `a1111_error`). The studio's token guards these routes
like /api; A1111 clients send it as the password of HTTP basic auth (`--api-auth`) or as a bearer token.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from hollywool.compat import a1111_info
from hollywool.compat.a1111 import A1111
from hollywool.compat.a1111_params import ExtrasSingleImageRequest, Img2ImgRequest, PngInfoRequest, Txt2ImgRequest
from hollywool.compat.a1111_views import (
    ExtrasSingleImageResponse,
    GenerationResponse,
    LoraItem,
    PngInfoResponse,
    ProgressResponse,
    SamplerItem,
    SchedulerItem,
    SdModelItem,
    SdVaeItem,
    UpscalerItem,
)
from hollywool.errors import InvalidInputError
from hollywool.media.png_meta import read_text_chunks

PREFIX = "/sdapi/v1"
router = APIRouter(prefix=PREFIX, tags=["automatic1111"])


def a1111_error(status: int, message: str, field: str | None = None) -> JSONResponse:
    if status == 422:
        loc = ["body", *(field.split(".") if field else [])]
        return JSONResponse({"detail": [{"loc": loc, "msg": message, "type": "value_error"}]}, status_code=422)
    return JSONResponse({"detail": message}, status_code=status)


def _service(request: Request) -> A1111:
    return request.app.state.a1111


@router.post("/txt2img", response_model=GenerationResponse)
async def txt2img(body: Txt2ImgRequest, service: A1111 = Depends(_service)) -> dict[str, Any]:
    params = await run_in_threadpool(service.txt2img_params, body)
    jobs, images = await service.generate(params, body)
    info = await run_in_threadpool(service.info, jobs, images, body.denoising_strength if body.enable_hr else None)
    return {"images": images if body.send_images else [], "parameters": body.model_dump(), "info": info}


@router.post("/img2img", response_model=GenerationResponse)
async def img2img(body: Img2ImgRequest, service: A1111 = Depends(_service)) -> dict[str, Any]:
    params = await run_in_threadpool(service.img2img_params, body)
    jobs, images = await service.generate(params, body)
    info = await run_in_threadpool(service.info, jobs, images, params.get("strength"))
    echo = body.model_dump()
    if not body.include_init_images:
        echo.update(init_images=None, mask=None)
    return {"images": images if body.send_images else [], "parameters": echo, "info": info}


@router.post("/extra-single-image", response_model=ExtrasSingleImageResponse)
async def extra_single_image(body: ExtrasSingleImageRequest, service: A1111 = Depends(_service)) -> dict[str, Any]:
    return {"html_info": "", "image": await service.extra_single_image(body)}


@router.post("/png-info", response_model=PngInfoResponse)
def png_info(body: PngInfoRequest) -> dict[str, Any]:
    raw = body.image.split(",", 1)[1] if body.image.startswith("data:") else body.image
    try:
        chunks = read_text_chunks(base64.b64decode(raw))
    except (OSError, ValueError):
        raise InvalidInputError("image: not a base64 image", field="image") from None
    return a1111_info.png_info(chunks)


@router.get("/progress", response_model=ProgressResponse)
def progress(skip_current_image: bool = False, service: A1111 = Depends(_service)) -> dict[str, Any]:
    return service.progress(skip_current_image)


@router.post("/interrupt")
def interrupt(service: A1111 = Depends(_service)) -> None:
    service.interrupt()


@router.post("/skip")
def skip(service: A1111 = Depends(_service)) -> None:
    service.skip()


@router.get("/options")
def get_options(service: A1111 = Depends(_service)) -> dict[str, Any]:
    return service.options()


@router.post("/options")
def set_options(changes: dict[str, Any] = Body(...), service: A1111 = Depends(_service)) -> None:
    service.set_options(changes)


@router.get("/sd-models", response_model=list[SdModelItem])
def sd_models(service: A1111 = Depends(_service)) -> list[dict[str, Any]]:
    return service.sd_models()


@router.post("/refresh-checkpoints")
def refresh_checkpoints(service: A1111 = Depends(_service)) -> None:
    service.refresh_checkpoints()


@router.get("/samplers", response_model=list[SamplerItem])
def samplers() -> list[dict[str, Any]]:
    return A1111.samplers()


@router.get("/schedulers", response_model=list[SchedulerItem])
def schedulers() -> list[dict[str, Any]]:
    return A1111.schedulers()


@router.get("/loras", response_model=list[LoraItem])
def loras(service: A1111 = Depends(_service)) -> list[dict[str, Any]]:
    return service.loras()


@router.post("/refresh-loras")
def refresh_loras(service: A1111 = Depends(_service)) -> None:
    service.refresh_loras()


@router.get("/upscalers", response_model=list[UpscalerItem])
def upscalers(service: A1111 = Depends(_service)) -> list[dict[str, Any]]:
    return service.upscalers()


@router.get("/latent-upscale-modes")
def latent_upscale_modes() -> list[dict[str, Any]]:
    return [{"name": "Latent"}]


@router.get("/sd-vae", response_model=list[SdVaeItem])
def sd_vae(service: A1111 = Depends(_service)) -> list[dict[str, Any]]:
    return service.sd_vae()


@router.get("/memory")
def memory() -> dict[str, Any]:
    return A1111.memory()


@router.get("/scripts")
def scripts() -> dict[str, list[str]]:
    return {"txt2img": [], "img2img": []}
