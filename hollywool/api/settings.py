from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, computed_field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import MAX_PAGE, DbId, Deleted, Limit, Offset, Page
from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.service_urls import ServiceUrl, ServiceUrlUpdate
from hollywool.storage.preferences import Preferences
from hollywool.storage.request_logs import RequestLog
from hollywool.studio import Studio

router = APIRouter(prefix="/api/settings", tags=["settings"])


class AppSettings(Preferences):
    """The settings as answered: the stored preferences plus the seed's `civitai_api_key`, which is
    never sent back (null); whether one is set is `has_civitai_api_key`."""

    has_civitai_api_key: bool = False

    @computed_field
    @property
    def civitai_api_key(self) -> None:
        return None


def _answer(studio: Studio, prefs: Preferences) -> AppSettings:
    return AppSettings(**prefs.model_dump(), has_civitai_api_key=studio.civitai.has_token)


@router.get("", response_model=AppSettings)
def get_settings(studio: Studio = Depends(get_studio)) -> AppSettings:
    return _answer(studio, studio.preferences.get())


@router.post("", response_model=AppSettings, summary="Update settings (the seed's verb; same as PUT)")
@router.put("", response_model=AppSettings)
def put_settings(changes: dict[str, Any] = Body(...), studio: Studio = Depends(get_studio)) -> AppSettings:
    key = changes.pop("civitai_api_key", None)
    changes.pop("has_civitai_api_key", None)  # read-only: what GET answered may be sent back as is
    if key is not None and not isinstance(key, str):
        raise InvalidInputError("civitai_api_key: must be a string", field="civitai_api_key")
    unknown = sorted(set(changes) - set(Preferences.model_fields))
    if unknown:
        raise InvalidInputError(f"{unknown[0]}: unknown setting", field=unknown[0])
    if "model_folders" in changes:
        studio.model_service.check_model_folders(changes["model_folders"])
    from pydantic import ValidationError

    try:
        prefs = studio.preferences.update(changes)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InvalidInputError(f"{field}: {err['msg']}", field=field) from None
    if "model_folders" in changes:
        studio.model_service.model_folders()  # scanned again: the catalogue follows the setting
    if key and key.strip():  # the seed set the Civitai key here; it goes to the secret store, never the database
        studio.civitai.set_token(key)
    return _answer(studio, prefs)


@router.get("/services", response_model=list[ServiceUrl])
def list_service_urls(studio: Studio = Depends(get_studio)) -> list[ServiceUrl]:
    """Every outside service's address: the one in use, the default and whether it was chosen here."""
    return studio.service_urls.all()


@router.put("/services/{service_id}", response_model=ServiceUrl)
def set_service_url(
    body: ServiceUrlUpdate, service_id: str = Path(..., max_length=64), studio: Studio = Depends(get_studio)
) -> ServiceUrl:
    """Choose a service's address (null or empty: back to the default); it applies at once. A key
    stored for the service is removed when the address changes: it was given for the old one."""
    return studio.service_urls.set(service_id, body.url)


class LogPage(Page[RequestLog]):
    """A page of the request log; `logs`, `page` and `page_size` are the seed's names for it."""

    @computed_field
    @property
    def logs(self) -> list[RequestLog]:
        return self.items

    @computed_field
    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @computed_field
    @property
    def page_size(self) -> int:
        return self.limit


@router.get("/logs", response_model=LogPage)
def list_logs(
    type: str | None = None,
    status: Literal["success", "error"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
    page: int | None = Query(None, ge=1, le=MAX_PAGE, description="the seed's paging: page n of page_size"),
    page_size: int | None = Query(None, ge=1, le=200, description="with page (default 50)"),
    studio: Studio = Depends(get_studio),
) -> LogPage:
    if page is not None or page_size is not None:
        limit = page_size or 50
        offset = ((page or 1) - 1) * limit
    items, total = studio.request_logs.list(type_=type, status=status, limit=limit, offset=offset)
    return LogPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/logs/{log_id}", response_model=RequestLog | None)
def get_log(log_id: DbId, studio: Studio = Depends(get_studio)) -> RequestLog | None:
    """A log entry, or null when there is none with this id (as the seed answered)."""
    return studio.request_logs.get(log_id)


@router.delete("/logs/{log_id}", response_model=Deleted)
def delete_log(log_id: DbId, studio: Studio = Depends(get_studio)) -> Deleted:
    if not studio.request_logs.delete(log_id):
        raise NotFoundError(f"log {log_id} not found")
    return Deleted(id=str(log_id))


class LogsCleared(BaseModel):
    deleted: int
    status: str = "cleared"


@router.delete("/logs", response_model=LogsCleared)
def clear_logs(studio: Studio = Depends(get_studio)) -> LogsCleared:
    return LogsCleared(deleted=studio.request_logs.clear())
