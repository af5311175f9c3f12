from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Query

from hollywool.api.deps import get_studio
from hollywool.api.schemas import Deleted, Page
from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.storage.preferences import Preferences
from hollywool.storage.request_logs import RequestLog
from hollywool.studio import Studio

router = APIRouter(prefix="/api/settings", tags=["settings"])


@router.get("", response_model=Preferences)
def get_settings(studio: Studio = Depends(get_studio)) -> Preferences:
    return studio.preferences.get()


@router.put("", response_model=Preferences)
def put_settings(changes: dict[str, Any] = Body(...), studio: Studio = Depends(get_studio)) -> Preferences:
    unknown = sorted(set(changes) - set(Preferences.model_fields))
    if unknown:
        raise InvalidInputError(f"{unknown[0]}: unknown setting", field=unknown[0])
    from pydantic import ValidationError

    try:
        return studio.preferences.update(changes)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InvalidInputError(f"{field}: {err['msg']}", field=field) from None


@router.get("/logs", response_model=Page[RequestLog])
def list_logs(
    type: str | None = None,
    status: Literal["success", "error"] | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    studio: Studio = Depends(get_studio),
) -> Page[RequestLog]:
    items, total = studio.request_logs.list(type_=type, status=status, limit=limit, offset=offset)
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/logs/{log_id}", response_model=RequestLog)
def get_log(log_id: int, studio: Studio = Depends(get_studio)) -> RequestLog:
    entry = studio.request_logs.get(log_id)
    if entry is None:
        raise NotFoundError(f"log {log_id} not found")
    return entry


@router.delete("/logs/{log_id}", response_model=Deleted)
def delete_log(log_id: int, studio: Studio = Depends(get_studio)) -> Deleted:
    if not studio.request_logs.delete(log_id):
        raise NotFoundError(f"log {log_id} not found")
    return Deleted(id=str(log_id))


@router.delete("/logs")
def clear_logs(studio: Studio = Depends(get_studio)) -> dict[str, int]:
    return {"deleted": studio.request_logs.clear()}
