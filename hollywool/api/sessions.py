"""Sessions: the same routes for image (`/api/sessions`), video and bulk sessions."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import Deleted
from hollywool.errors import NotFoundError
from hollywool.storage.sessions import Session
from hollywool.studio import Studio


class SessionCreate(BaseModel):
    name: str = Field("New session", min_length=1, max_length=200)


class SessionRename(BaseModel):
    name: str = Field(min_length=1, max_length=200)


def session_router(prefix: str, session_type: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["sessions"])

    def _get(studio: Studio, session_id: str) -> Session:
        session = studio.sessions.get(session_id)
        if session is None or session.type != session_type:
            raise NotFoundError(f"session {session_id} not found")
        return session

    @router.get("", response_model=list[Session], operation_id=f"list_{session_type}_sessions")
    def list_sessions(studio: Studio = Depends(get_studio)) -> list[Session]:
        return studio.sessions.list(session_type)

    @router.post("", response_model=Session, status_code=201, operation_id=f"create_{session_type}_session")
    def create_session(body: SessionCreate | None = None, studio: Studio = Depends(get_studio)) -> Session:
        return studio.sessions.create(session_type, (body or SessionCreate()).name)

    @router.get("/{session_id}", response_model=Session, operation_id=f"get_{session_type}_session")
    def get_session(session_id: str, studio: Studio = Depends(get_studio)) -> Session:
        return _get(studio, session_id)

    @router.put("/{session_id}", response_model=Session, operation_id=f"rename_{session_type}_session")
    @router.patch("/{session_id}", response_model=Session, include_in_schema=False)
    def rename_session(session_id: str, body: SessionRename, studio: Studio = Depends(get_studio)) -> Session:
        _get(studio, session_id)
        return studio.sessions.rename(session_id, body.name)

    @router.delete("/{session_id}", response_model=Deleted, operation_id=f"delete_{session_type}_session")
    def delete_session(session_id: str, studio: Studio = Depends(get_studio)) -> Deleted:
        _get(studio, session_id)
        studio.sessions.delete(session_id)
        return Deleted(id=session_id)

    return router


routers = [
    session_router("/api/sessions", "image"),
    session_router("/api/video-sessions", "video"),
    session_router("/api/bulk-sessions", "bulk"),
]
