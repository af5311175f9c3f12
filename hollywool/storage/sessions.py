"""Sessions group a user's work on one page: image, video or bulk."""

from __future__ import annotations

import uuid

from pydantic import BaseModel
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


_SELECT = (
    "SELECT s.id, s.type, s.name, s.created_at, s.updated_at, "
    "(SELECT COUNT(*) FROM jobs j WHERE j.session_id = s.id) AS job_count, "
    "(SELECT COUNT(*) FROM assets a WHERE a.session_id = s.id) AS asset_count FROM sessions s"
)


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
        return Session(**row._mapping) if row else None

    def list(self, type_: str, limit: int = 100, offset: int = 0) -> list[Session]:
        with self.db.read() as conn:
            rows = conn.execute(
                text(f"{_SELECT} WHERE s.type = :type ORDER BY s.updated_at DESC LIMIT :limit OFFSET :offset"),
                {"type": type_, "limit": limit, "offset": offset},
            ).all()
        return [Session(**r._mapping) for r in rows]

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
