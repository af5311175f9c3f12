"""Request logs: one row per API call that changes something and per outbound service call."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, computed_field
from sqlalchemy import text

from hollywool.storage.db import Database, dumps, loads, now

log = logging.getLogger("hollywool.requests")

_INSERT = text(
    "INSERT INTO request_logs (type, method, endpoint, status, status_code, duration_ms, request, "
    "response, error, created_at) VALUES (:type, :method, :endpoint, :status, :status_code, "
    ":duration_ms, :request, :response, :error, :t)"
)
_TRIM = text("DELETE FROM request_logs WHERE id <= (SELECT id FROM request_logs ORDER BY id DESC LIMIT 1 OFFSET :keep)")
# (logging on?, rows to keep): read when a batch is written, so a settings change applies at once.
Policy = Callable[[], tuple[bool, int]]


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

    # The seed's RequestLog names, read from the request and the answer where they carry them.
    def _from(self, source: Any, key: str) -> Any:
        return source.get(key) if isinstance(source, dict) else None

    @computed_field
    @property
    def timestamp(self) -> float:
        return self.created_at

    @computed_field
    @property
    def prompt(self) -> str | None:
        return self._from(self.request, "prompt")

    @computed_field
    @property
    def negative_prompt(self) -> str | None:
        return self._from(self.request, "negative_prompt")

    @computed_field
    @property
    def model(self) -> str | None:
        return self._from(self.request, "model")

    @computed_field
    @property
    def parameters(self) -> dict[str, Any]:
        return self.request if isinstance(self.request, dict) else {}

    @computed_field
    @property
    def result_id(self) -> str | None:
        return self._from(self.response, "job_id") or self._from(self.response, "id")

    @computed_field
    @property
    def source_image_urls(self) -> list[str]:
        return []


def _row(values: dict[str, Any]) -> dict[str, Any]:
    row = {"method": None, "status_code": None, "duration_ms": None, "error": None, "t": now(), **values}
    row["request"] = dumps(values.get("request"))
    row["response"] = dumps(values.get("response"))
    return row


class RequestLogRepository:
    """Rows are added synchronously (`add`) or handed to a background writer (`record`).

    `record` never blocks: the event loop hands the row over and moves on; one thread writes the
    queued rows in batches, one transaction each. Reads wait for the rows recorded before them.
    """

    MAX_PENDING = 10_000  # beyond this the database is stuck: rows are dropped, and the drop logged
    RETRIES = 3

    def __init__(self, db: Database, policy: Policy | None = None):
        self.db = db
        self.policy = policy or (lambda: (True, 1000))
        self._pending: deque[dict[str, Any]] = deque()
        self._cond = threading.Condition()
        self._recorded = 0  # rows handed to record(), ever
        self._settled = 0  # of those, rows written (or given up on, with an error logged)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._dropped = 0

    def add(self, *, max_entries: int, **values: Any) -> None:
        with self.db.write() as conn:
            conn.execute(_INSERT, _row(values))
            conn.execute(_TRIM, {"keep": max_entries})

    def record(self, **values: Any) -> None:
        """Queue a row for the writer thread; returns at once."""
        row = _row(values)
        with self._cond:
            if self._closed:
                log.warning("request log closed; not recorded: %s %s", values.get("method"), values.get("endpoint"))
                return
            if len(self._pending) >= self.MAX_PENDING:
                self._dropped += 1
                if self._dropped == 1 or self._dropped % 1000 == 0:
                    log.error("request log writer is behind: %d row(s) dropped so far", self._dropped)
                return
            self._pending.append(row)
            self._recorded += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="request-log-writer", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every row recorded so far is written; False when that took longer than `timeout`."""
        with self._cond:
            target = self._recorded
            return self._cond.wait_for(lambda: self._settled >= target, timeout=timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer thread."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("request log writer did not finish: %d row(s) not written", len(self._pending))

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._closed)
                if not self._pending:
                    return  # closed and drained
                batch = list(self._pending)
                self._pending.clear()
            self._write_batch(batch)
            with self._cond:
                self._settled += len(batch)
                self._cond.notify_all()

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        for attempt in range(1, self.RETRIES + 1):
            try:
                enabled, keep = self.policy()
                if not enabled:
                    return
                with self.db.write() as conn:
                    conn.execute(_INSERT, batch)
                    conn.execute(_TRIM, {"keep": keep})
                return
            except Exception:
                if attempt == self.RETRIES:
                    log.exception("could not write %d request log row(s); they are lost", len(batch))
                    return
                time.sleep(0.5 * attempt)

    def list(self, *, type_: str | None, status: str | None, limit: int, offset: int) -> tuple[list[RequestLog], int]:
        self.flush()
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
        self.flush()
        with self.db.read() as conn:
            row = conn.execute(text("SELECT * FROM request_logs WHERE id = :id"), {"id": log_id}).first()
        return self._to_log(row) if row else None

    def delete(self, log_id: int) -> bool:
        self.flush()
        with self.db.write() as conn:
            return conn.execute(text("DELETE FROM request_logs WHERE id = :id"), {"id": log_id}).rowcount > 0

    def clear(self) -> int:
        self.flush()
        with self.db.write() as conn:
            return conn.execute(text("DELETE FROM request_logs")).rowcount

    @staticmethod
    def _to_log(row) -> RequestLog:  # noqa: ANN001
        m = dict(row._mapping)
        m["request"] = loads(m["request"])
        m["response"] = loads(m["response"])
        return RequestLog(**m)
