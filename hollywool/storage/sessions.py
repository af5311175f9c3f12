"""Sessions group a user's work on one page: image, video or bulk."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field, computed_field
from sqlalchemy import text

from hollywool.storage.db import Database, now

SESSION_TYPES = ("image", "video", "bulk")


class Session(BaseModel):
    id: str
    type: str
    name: str
    created_at: float
    updated_at: float
    job_count: int = 0
    asset_count: int = 0
    job_ids: list[str] = Field(default_factory=list, description="the session's top-level jobs, oldest first")

    # The seed's camelCase session fields (shared/notes/seed-api.md, "Sessions"), derived.
    @computed_field
    @property
    def createdAt(self) -> int:  # noqa: N802 - the seed's name
        return int(self.created_at * 1000)

    @computed_field
    @property
    def batchIds(self) -> list[str]:  # noqa: N802
        return self.job_ids if self.type == "image" else []

    @computed_field
    @property
    def bulkJobIds(self) -> list[str]:  # noqa: N802
        return self.job_ids if self.type == "bulk" else []

    @computed_field
    @property
    def isAutoNamed(self) -> bool:  # noqa: N802
        return self.name == DEFAULT_NAME


DEFAULT_NAME = "New session"

_SELECT = (
    "SELECT s.id, s.type, s.name, s.created_at, s.updated_at, "
    "(SELECT COUNT(*) FROM jobs j WHERE j.session_id = s.id) AS job_count, "
    "(SELECT COUNT(*) FROM assets a WHERE a.session_id = s.id) AS asset_count, "
    "(SELECT group_concat(id) FROM (SELECT j.id FROM jobs j WHERE j.session_id = s.id AND j.parent_id IS NULL "
    "ORDER BY j.created_at)) AS job_ids FROM sessions s"
)


def _session(row) -> Session:  # noqa: ANN001 - a SQLAlchemy row
    data = dict(row._mapping)
    data["job_ids"] = data["job_ids"].split(",") if data.get("job_ids") else []
    return Session(**data)


class SessionRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, type_: str, name: str) -> Session:
        sid, t = uuid.uuid4().hex, now()
        with self.db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO sessions (id, type, name, created_at, updated_at) VALUES (:id, :type, :name, :t, :t)"
                ),
                {"id": sid, "type": type_, "name": name, "t": t},
            )
        return self.get(sid)

    def get(self, session_id: str) -> Session | None:
        with self.db.read() as conn:
            row = conn.execute(text(f"{_SELECT} WHERE s.id = :id"), {"id": session_id}).first()
        return _session(row) if row else None

    def list(self, type_: str, limit: int = 100, offset: int = 0) -> list[Session]:
        with self.db.read() as conn:
            rows = conn.execute(
                text(f"{_SELECT} WHERE s.type = :type ORDER BY s.updated_at DESC LIMIT :limit OFFSET :offset"),
                {"type": type_, "limit": limit, "offset": offset},
            ).all()
        return [_session(r) for r in rows]

    def upsert(self, type_: str, session_id: str, name: str, created_at: float | None = None) -> None:
        """Create a session with the id a client chose, or rename it (the seed's clients name their own ids)."""
        t = now()
        with self.db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO sessions (id, type, name, created_at, updated_at) VALUES (:id, :type, :name, :c, :t) "
                    "ON CONFLICT(id) DO UPDATE SET name = excluded.name WHERE sessions.type = excluded.type"
                ),
                {"id": session_id, "type": type_, "name": name, "c": created_at or t, "t": t},
            )

    def rename(self, session_id: str, name: str) -> Session | None:
        with self.db.write() as conn:
            conn.execute(
                text("UPDATE sessions SET name = :name, updated_at = :t WHERE id = :id"),
                {"id": session_id, "name": name, "t": now()},
            )
        return self.get(session_id)

    def touch(self, session_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(text("UPDATE sessions SET updated_at = :t WHERE id = :id"), {"id": session_id, "t": now()})

    def delete(self, session_id: str) -> bool:
        with self.db.write() as conn:
            return conn.execute(text("DELETE FROM sessions WHERE id = :id"), {"id": session_id}).rowcount > 0
