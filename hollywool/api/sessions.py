"""Sessions: the same routes for image (`/api/sessions`), video and bulk sessions."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from hollywool.api.deps import get_studio
from hollywool.api.schemas import Deleted
from hollywool.errors import InvalidInputError, NotFoundError
from hollywool.storage.sessions import DEFAULT_NAME, Session
from hollywool.studio import Studio


class SessionCreate(BaseModel):
    name: str = Field(DEFAULT_NAME, min_length=1, max_length=200)


class SeedSession(BaseModel):
    """A session as the seed's clients write it (their own id, camelCase)."""

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    createdAt: float | None = Field(None, ge=0, le=1e15, description="milliseconds since 1970")  # noqa: N815


class SessionsData(BaseModel):
    """The seed's whole-list shape: GET answers it; POST of it creates or renames each session listed
    (sessions it leaves out are kept: delete one with DELETE) and makes `currentSessionId` the newest."""

    sessions: list[Session]
    currentSessionId: str | None = None  # noqa: N815


class SessionsWrite(BaseModel):
    sessions: list[SeedSession] = Field(max_length=1000)
    currentSessionId: str | None = Field(None, max_length=100)  # noqa: N815


class SessionRename(BaseModel):
    name: str = Field(min_length=1, max_length=200)


def session_router(prefix: str, session_type: str) -> APIRouter:
    router = APIRouter(prefix=prefix, tags=["sessions"])

    def _get(studio: Studio, session_id: str) -> Session:
        session = studio.sessions.get(session_id)
        if session is None or session.type != session_type:
            raise NotFoundError(f"session {session_id} not found")
        return session

    def _all(studio: Studio) -> SessionsData:
        sessions = studio.sessions.list(session_type)
        return SessionsData(sessions=sessions, currentSessionId=sessions[0].id if sessions else None)

    @router.get("", response_model=SessionsData, operation_id=f"list_{session_type}_sessions")
    def list_sessions(studio: Studio = Depends(get_studio)) -> SessionsData:
        """Newest first; `currentSessionId` is the session used most recently."""
        return _all(studio)

    @router.post(
        "", response_model=Session | SessionsData, status_code=201, operation_id=f"create_{session_type}_session"
    )
    def create_session(
        response: Response, body: SessionsWrite | SessionCreate | None = None, studio: Studio = Depends(get_studio)
    ) -> Session | SessionsData:
        """`{name}` creates a session (201); the seed's `{sessions, currentSessionId}` writes the list (200)."""
        if isinstance(body, SessionsWrite):
            for i, s in enumerate(body.sessions):
                existing = studio.sessions.get(s.id)
                if existing and existing.type != session_type:
                    raise InvalidInputError(
                        f"sessions.{i}.id: {s.id} is already a {existing.type} session; choose another id",
                        field=f"sessions.{i}.id",
                    )
            for s in body.sessions:
                created = s.createdAt / 1000 if s.createdAt else None
                studio.sessions.upsert(session_type, s.id, s.name, created)
            if body.currentSessionId and studio.sessions.get(body.currentSessionId):
                studio.sessions.touch(body.currentSessionId)
            response.status_code = 200
            return _all(studio)
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
