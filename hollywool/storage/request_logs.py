"""Request logs: one row per API call that changes something and per outbound service call."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import text

from hollywool.storage.db import Database, dumps, loads, now


class RequestLog(BaseModel):
    id: int
    type: str
    method: str | None
    endpoint: str
    status: str
    status_code: int | None
    duration_ms: float | None
    request: Any = None
    response: Any = None
    error: str | None
    created_at: float


class RequestLogRepository:
    def __init__(self, db: Database):
        self.db = db

    def add(self, *, max_entries: int, **values: Any) -> None:
        values = {"method": None, "status_code": None, "duration_ms": None, "error": None, **values}
        values["request"] = dumps(values.get("request"))
        values["response"] = dumps(values.get("response"))
        with self.db.write() as conn:
            conn.execute(
                text(
                    "INSERT INTO request_logs (type, method, endpoint, status, status_code, duration_ms, request, "
                    "response, error, created_at) VALUES (:type, :method, :endpoint, :status, :status_code, "
                    ":duration_ms, :request, :response, :error, :t)"
                ),
                {**values, "t": now()},
            )
            conn.execute(
                text(
                    "DELETE FROM request_logs WHERE id <= (SELECT id FROM request_logs ORDER BY id DESC "
                    "LIMIT 1 OFFSET :keep)"
                ),
                {"keep": max_entries},
            )

    def list(self, *, type_: str | None, status: str | None, limit: int, offset: int) -> tuple[list[RequestLog], int]:
        where, args = [], {}
        if type_:
            where.append("type = :type")
            args["type"] = type_
        if status:
            where.append("status = :status")
            args["status"] = status
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        with self.db.read() as conn:
            total = conn.execute(text(f"SELECT COUNT(*) FROM request_logs {clause}"), args).scalar_one()
            rows = conn.execute(
                text(f"SELECT * FROM request_logs {clause} ORDER BY id DESC LIMIT :limit OFFSET :offset"),
                {**args, "limit": limit, "offset": offset},
            ).all()
        return [self._to_log(r) for r in rows], total

    def get(self, log_id: int) -> RequestLog | None:
        with self.db.read() as conn:
            row = conn.execute(text("SELECT * FROM request_logs WHERE id = :id"), {"id": log_id}).first()
        return self._to_log(row) if row else None

    def delete(self, log_id: int) -> bool:
        with self.db.write() as conn:
            return conn.execute(text("DELETE FROM request_logs WHERE id = :id"), {"id": log_id}).rowcount > 0

    def clear(self) -> int:
        with self.db.write() as conn:
            return conn.execute(text("DELETE FROM request_logs")).rowcount

    @staticmethod
    def _to_log(row) -> RequestLog:  # noqa: ANN001
        m = dict(row._mapping)
        m["request"] = loads(m["request"])
        m["response"] = loads(m["response"])
        return RequestLog(**m)
