from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from hollywool import __version__, system_info
from hollywool.api.deps import get_studio
from hollywool.studio import Studio

router = APIRouter(prefix="/api", tags=["system"])


@router.get("/health")
def health(studio: Studio = Depends(get_studio)) -> dict[str, Any]:
    stat = system_info.status()
    return {
        "status": "ok",
        "version": __version__,
        "device": stat["device"],
        "gpu": stat["gpus"][0]["name"] if stat["gpus"] else None,
        "loaded_models": studio.image_engine.loaded_models(),
        "loaded_model": next(iter(studio.image_engine.loaded_models()), None),
    }


@router.get("/system/status")
def system_status() -> dict[str, Any]:
    return system_info.status()


@router.get("/settings/system")
def settings_system() -> dict[str, Any]:
    return system_info.system()
